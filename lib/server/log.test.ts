import { afterEach, describe, expect, it, vi } from "vitest";
import { log } from "./log";

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function capture() {
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  const lines = (spy: typeof out) => spy.mock.calls.map(([chunk]) => JSON.parse(String(chunk)));
  return { out: () => lines(out), err: () => lines(err) };
}

describe("log", () => {
  it("writes one JSON object per line, errors to stderr", () => {
    vi.stubEnv("LOG_LEVEL", "");
    const { out, err } = capture();
    log("info", "request", { status: 200 });
    log("error", "request", { status: 500 });
    expect(out()).toEqual([{ time: expect.any(String), level: "info", msg: "request", status: 200 }]);
    expect(err()).toEqual([expect.objectContaining({ level: "error", status: 500 })]);
  });

  it("drops what is less severe than LOG_LEVEL", () => {
    vi.stubEnv("LOG_LEVEL", "warn");
    const { out, err } = capture();
    log("debug", "a");
    log("info", "b");
    log("warn", "c");
    log("error", "d");
    expect(out().map((line) => line.msg)).toEqual(["c"]);
    expect(err().map((line) => line.msg)).toEqual(["d"]);
  });

  it("writes nothing when silent, and treats an unknown level as info", () => {
    vi.stubEnv("LOG_LEVEL", "silent");
    const first = capture();
    log("error", "x");
    expect(first.err()).toEqual([]);
    vi.stubEnv("LOG_LEVEL", "loud");
    const second = capture();
    log("debug", "hidden");
    log("info", "shown");
    expect(second.out().map((line) => line.msg)).toEqual(["shown"]);
  });
});
