import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForTerminal } from "./wait-for-terminal";

/** A task endpoint over real HTTP: `/task/N` stays `rendering` for N polls, then completes. */
let server: Server;
let origin: string;
const polls = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = request.url ?? "";
    const seen = (polls.get(url) ?? 0) + 1;
    polls.set(url, seen);
    if (url === "/missing") return response.writeHead(404).end('{"message":"Not found"}');
    if (url === "/odd") return response.end('{"status":"paused"}');
    if (url === "/auth" && request.headers.authorization !== "Bearer k") return response.writeHead(401).end();
    const left = Number(url.split("/").pop()) || 0;
    response.end(JSON.stringify({ status: seen > left ? "complete" : "rendering", progress: seen }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("waitForTerminal", () => {
  it("polls until the status is terminal and returns that answer, showing every answer on the way", async () => {
    const seen: string[] = [];
    const view = await waitForTerminal<{ status: string; progress: number }>(`${origin}/task/2`, {
      everyMs: 5,
      onView: (each) => seen.push(each.status),
    });
    expect(view).toEqual({ status: "complete", progress: 3 });
    expect(seen).toEqual(["rendering", "rendering", "complete"]);
  });

  it("sends the headers it is given", async () => {
    await expect(
      waitForTerminal(`${origin}/auth`, { headers: { authorization: "Bearer k" } }),
    ).resolves.toEqual({
      status: "complete",
      progress: 1,
    });
    await expect(waitForTerminal(`${origin}/auth`)).rejects.toThrow(/answered 401/);
  });

  it("fails at once on an error answer or a status outside the union", async () => {
    await expect(waitForTerminal(`${origin}/missing`)).rejects.toThrow(
      /answered 404: \{"message":"Not found"\}/,
    );
    await expect(waitForTerminal(`${origin}/odd`)).rejects.toThrow(/paused/);
    expect(polls.get("/odd")).toBe(1);
  });

  it("gives up at its deadline, naming what it waited for", async () => {
    await expect(waitForTerminal(`${origin}/task/1000000`, { everyMs: 5, deadlineMs: 50 })).rejects.toThrow(
      /task\/1000000 is still rendering after 50 ms/,
    );
  });

  it("reads through a function too (an SDK's get)", async () => {
    let n = 0;
    const view = await waitForTerminal(async () => ({ status: ++n < 3 ? "queued" : "error" }), {
      everyMs: 1,
    });
    expect(view.status).toBe("error");
    expect(n).toBe(3);
  });
});
