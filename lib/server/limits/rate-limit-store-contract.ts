import "server-only";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimited } from "../rate-limit";
import { type RateLimitStore, takeFromBudget } from "./rate-limit-store";

/** What every rate-limit store does, in memory or in Redis: the same tests run against both. */
export function describeRateLimitStoreContract(
  name: string,
  open: () => Promise<{ store: RateLimitStore; close(): Promise<void> }>,
) {
  describe(`${name}: the rate-limit store contract`, () => {
    let store: RateLimitStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
    });
    afterAll(async () => {
      await close?.();
    });
    const key = () => `k${Math.random().toString(36).slice(2)}`;

    it("counts hits per key within a window", async () => {
      const [a, b] = [key(), key()];
      expect((await store.hit(a, 60_000)).count).toBe(1);
      expect((await store.hit(a, 60_000)).count).toBe(2);
      expect((await store.hit(b, 60_000)).count).toBe(1);
      const third = await store.hit(a, 60_000);
      expect(third.count).toBe(3);
      expect(third.resetInMs).toBeGreaterThan(0);
      expect(third.resetInMs).toBeLessThanOrEqual(60_000);
    });

    it("starts the count over once the window has passed", async () => {
      const a = key();
      await store.hit(a, 50);
      await store.hit(a, 50);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect((await store.hit(a, 50)).count).toBe(1);
    });

    it("gives every one of many concurrent hits its own count", async () => {
      const a = key();
      const counts = await Promise.all(Array.from({ length: 40 }, () => store.hit(a, 60_000)));
      expect(counts.map((hit) => hit.count).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
    });

    it("takes back a refunded hit within its window, never below zero", async () => {
      const [a, b] = [key(), key()];
      await store.hit(a, 60_000);
      await store.hit(a, 60_000);
      await store.refund(a, 60_000);
      expect((await store.hit(a, 60_000)).count).toBe(2);
      // A key never hit, and one refunded more often than it was hit, start from nothing.
      await store.refund(b, 60_000);
      expect((await store.hit(b, 60_000)).count).toBe(1);
      await store.refund(b, 60_000);
      await store.refund(b, 60_000);
      expect((await store.hit(b, 60_000)).count).toBe(1);
    });

    it("refuses requests over a per-minute budget with the seconds to wait", async () => {
      const a = key();
      for (let i = 0; i < 3; i++) await takeFromBudget(store, a, 3);
      const refusal = await takeFromBudget(store, a, 3).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(RateLimited);
      expect((refusal as RateLimited).status).toBe(429);
      expect((refusal as RateLimited).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect((refusal as RateLimited).retryAfterSeconds).toBeLessThanOrEqual(60);
      await takeFromBudget(store, a, 0);
    });
  });
}
