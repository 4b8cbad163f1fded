/**
 * npm run bench:rate-limit — what many distinct client addresses cost the rate limiter (issue 11, item 12).
 *   1. In process: time per take() as the table grows to 40,000 addresses, for this limiter and for the one it
 *      replaced (which swept its whole table for every new address once it held 10,000).
 *   2. Over HTTP against the production build (TRUST_PROXY=127.0.0.1, so X-Forwarded-For picks the address):
 *      40,000 rate-limited requests, each from a new address, 16 in flight; requests/s per block of 5,000.
 *
 *   npm run bench:rate-limit -- [--addresses 40000] [--inflight 16]
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { memoryRateLimitStore } from "../lib/server/limits/rate-limit-store";
import { RateLimiter } from "../lib/server/rate-limit";
import { ensureProductionBuild, startServer } from "../test/support/next-server";

const { values } = parseArgs({
  options: { addresses: { type: "string", default: "40000" }, inflight: { type: "string", default: "16" } },
});
const ADDRESSES = Number(values.addresses);
const INFLIGHT = Number(values.inflight);
const BLOCK = 5000;
const KEY = "bench-key-0123456789";

/** The limiter before this change, for comparison: a full sweep whenever a new window opens above 10,000. */
class SweepingLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly perMinute: number) {}
  take(key: string): boolean {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      if (this.windows.size > 10_000) {
        for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
      }
    }
    window.count++;
    return window.count <= this.perMinute;
  }
}

function perBlock(take: (key: string) => unknown): string[] {
  const cells: string[] = [];
  for (let start = 0; start < ADDRESSES; start += BLOCK) {
    const t0 = process.hrtime.bigint();
    for (let i = start; i < start + BLOCK; i++) take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const ns = Number(process.hrtime.bigint() - t0) / BLOCK;
    cells.push(ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(1)} µs`);
  }
  return cells;
}

console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}\n`);
const header = Array.from({ length: ADDRESSES / BLOCK }, (_, i) => `${(i + 1) * 5}k`);
console.log(`| take(), per new address, table size up to | ${header.join(" | ")} |`);
console.log(`|---|${header.map(() => "---").join("|")}|`);
const current = new RateLimiter("bench", 120, memoryRateLimitStore());
console.log(`| this limiter | ${perBlock((key) => current.take(key)).join(" | ")} |`);
const sweeping = new SweepingLimiter(120);
console.log(`| the sweeping one it replaced | ${perBlock((key) => sweeping.take(key)).join(" | ")} |\n`);

ensureProductionBuild();
const server = await startServer({
  API_KEYS: KEY,
  TRUST_PROXY: "127.0.0.1",
  RATE_LIMIT_PER_ADDRESS: "120",
});
try {
  // POST /v1/face-detection with an empty object: counted by the limiter, then refused (400) before any work.
  let next = 0;
  const blockMs: number[] = [];
  let blockStart = performance.now();
  let errors = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= ADDRESSES) return;
      const response = await fetch(`${server.origin}/v1/face-detection`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${KEY}`,
          "content-type": "application/json",
          "x-forwarded-for": `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        },
        body: "{}",
      });
      if (response.status !== 400) errors++;
      await response.arrayBuffer();
      if ((i + 1) % BLOCK === 0) {
        const now = performance.now();
        blockMs.push(now - blockStart);
        blockStart = now;
      }
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  console.log(`| HTTP requests/s, each from a new address, after | ${header.join(" | ")} |`);
  console.log(`|---|${header.map(() => "---").join("|")}|`);
  console.log(`| production server | ${blockMs.map((ms) => ((BLOCK / ms) * 1000).toFixed(0)).join(" | ")} |`);
  console.log(`\nunexpected answers: ${errors}`);
} finally {
  await server.stop();
}
