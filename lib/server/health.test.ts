import { describe, expect, it } from "vitest";
import { checkHealth } from "./health";

describe("checkHealth", () => {
  it("is ok when every dependency answers", async () => {
    expect(await checkHealth({ database: async () => {}, queue: async () => {} })).toEqual({
      status: "ok",
      dependencies: { database: { status: "ok" }, queue: { status: "ok" } },
    });
  });

  it("names the dependency that fails or does not answer in time", async () => {
    const report = await checkHealth(
      {
        database: async () => {},
        queue: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")),
        blobs: () => new Promise(() => {}),
      },
      50,
    );
    expect(report).toEqual({
      status: "unavailable",
      dependencies: {
        database: { status: "ok" },
        queue: { status: "unavailable", message: "connect ECONNREFUSED 127.0.0.1:6379" },
        blobs: { status: "unavailable", message: "no answer within 50 ms" },
      },
    });
  });
});
