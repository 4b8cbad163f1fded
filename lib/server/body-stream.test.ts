import { describe, expect, it } from "vitest";
import { ApiError, bodiesReadToEnd } from "./api-error";
import { BodyGate, type BodyRules, bodyChunks } from "./body-stream";

/** A request whose body arrives as the given chunks, then either ends or (stall) never does. */
function streamed(chunks: Uint8Array[], stall = false): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (!stall) controller.close();
    },
  });
  return new Request("http://localhost/upload", { method: "POST", body, duplex: "half" } as RequestInit);
}

/** A request whose body has sent one byte and stays open until `end()`. */
function held() {
  let close = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(1));
      close = () => controller.close();
    },
  });
  const request = new Request("http://localhost/upload", {
    method: "POST",
    body,
    duplex: "half",
  } as RequestInit);
  return { request, end: () => close() };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

const rules = (overrides: Partial<BodyRules> = {}): BodyRules => ({
  gate: new BodyGate(2, 10),
  address: "203.0.113.1",
  maxBytes: 100,
  idleMs: 60_000,
  totalMs: 60_000,
  tooLarge: () => new ApiError(413, "too large"),
  ...overrides,
});

async function drain(request: Request, bodyRules: BodyRules): Promise<number | ApiError> {
  let size = 0;
  try {
    for await (const chunk of bodyChunks(request, bodyRules)) size += chunk.byteLength;
    return size;
  } catch (error) {
    return error as ApiError;
  }
}

describe("bodyChunks", () => {
  it("passes a body within the limit through and records that it was read to the end", async () => {
    const request = streamed([new Uint8Array(60), new Uint8Array(40)]);
    expect(await drain(request, rules())).toBe(100);
    expect(bodiesReadToEnd.has(request)).toBe(true);
  });

  it("refuses a body without a length as soon as the bytes pass the limit", async () => {
    const request = streamed([new Uint8Array(60), new Uint8Array(60)], true);
    expect(await drain(request, rules())).toMatchObject({ status: 413 });
    expect(bodiesReadToEnd.has(request)).toBe(false);
  });

  it("stops a body whose next byte doesn't come within the idle time", async () => {
    const result = await drain(streamed([new Uint8Array(10)], true), rules({ idleMs: 50 }));
    expect(result).toMatchObject({ status: 408 });
  });

  it("admits a limited number of bodies per address and in all, and frees the place when one ends", async () => {
    const gate = new BodyGate(2, 3);
    const open = [0, 1, 2].map(() => held());
    const receiving = [
      drain(open[0]?.request as Request, rules({ gate, address: "a" })),
      drain(open[1]?.request as Request, rules({ gate, address: "a" })),
    ];
    await until(() => gate.receiving === 2);
    expect(await drain(streamed([]), rules({ gate, address: "a" }))).toMatchObject({ status: 429 });
    expect(await drain(streamed([new Uint8Array(5)]), rules({ gate, address: "b" }))).toBe(5);
    receiving.push(drain(open[2]?.request as Request, rules({ gate, address: "c" })));
    await until(() => gate.receiving === 3);
    expect(await drain(streamed([]), rules({ gate, address: "d" }))).toMatchObject({ status: 503 });
    for (const body of open) body.end();
    expect(await Promise.all(receiving)).toEqual([1, 1, 1]);
    expect(gate.receiving).toBe(0);
    expect(await drain(streamed([new Uint8Array(5)]), rules({ gate, address: "a" }))).toBe(5);
  });
});
