import { describe, expect, it } from "vitest";
import { memoryRateLimitStore } from "./limits/rate-limit-store";
import { RateLimited, RateLimiter, rateLimitHeaders, takeLimits } from "./rate-limit";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("RateLimiter", () => {
  it("allows the limit per key per minute, then refuses until the key's window ends", async () => {
    const time = clock();
    const limiter = new RateLimiter("test", 3, memoryRateLimitStore(time.now));
    const first = [await limiter.take("a"), await limiter.take("a"), await limiter.take("a")];
    expect(first.map((state) => state?.limited)).toEqual([false, false, false]);
    expect(await limiter.take("a")).toMatchObject({ limited: true, remaining: 0, resetSeconds: 60 });
    expect((await limiter.take("b"))?.limited).toBe(false);
    time.advance(59_000);
    expect(await limiter.take("a")).toMatchObject({ limited: true, resetSeconds: 1 });
    time.advance(1_000);
    expect(await limiter.take("a")).toMatchObject({ limited: false, remaining: 2, resetSeconds: 60 });
  });

  it("is off at 0", async () => {
    const limiter = new RateLimiter("off", 0, memoryRateLimitStore());
    for (let i = 0; i < 1000; i++) expect(await limiter.take("a")).toBeNull();
  });

  it("keeps each policy's counts apart in one store", async () => {
    const store = memoryRateLimitStore();
    const [web, reruns] = [new RateLimiter("web", 1, store), new RateLimiter("reruns", 1, store)];
    expect((await web.take("1.2.3.4"))?.limited).toBe(false);
    expect((await reruns.take("1.2.3.4"))?.limited).toBe(false);
    expect((await web.take("1.2.3.4"))?.limited).toBe(true);
  });

  it("keeps a key's newer window when an older one for the same key expires", async () => {
    const time = clock();
    const limiter = new RateLimiter("test", 1, memoryRateLimitStore(time.now));
    await limiter.take("a");
    time.advance(60_000);
    await limiter.take("a"); // a new window for "a"
    time.advance(30_000);
    expect((await limiter.take("a"))?.limited).toBe(true);
  });
});

describe("RateLimit headers", () => {
  it("uses the draft's structured-field syntax, one item per policy", () => {
    expect(
      rateLimitHeaders([
        { policy: "key", limit: 120, remaining: 119, resetSeconds: 60 },
        { policy: "api-address", limit: 100, remaining: 7, resetSeconds: 12 },
      ]),
    ).toEqual({
      "RateLimit-Policy": '"key";q=120;w=60, "api-address";q=100;w=60',
      RateLimit: '"key";r=119;t=60, "api-address";r=7;t=12',
    });
    expect(rateLimitHeaders([])).toEqual({});
  });

  it("throws a 429 with Retry-After from the exhausted limiter, and refunds the limiters before it", async () => {
    const time = clock();
    const store = memoryRateLimitStore(time.now);
    const perKey = new RateLimiter("key", 5, store);
    const perAddress = new RateLimiter("address", 1, store);
    expect(
      await takeLimits([
        [perKey, "k"],
        [perAddress, "1.2.3.4"],
      ]),
    ).toMatchObject({
      RateLimit: '"key";r=4;t=60, "address";r=0;t=60',
    });
    time.advance(20_000);
    const thrown = await takeLimits([
      [perKey, "k"],
      [perAddress, "1.2.3.4"],
    ]).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(RateLimited);
    const limited = thrown as RateLimited;
    expect(limited.status).toBe(429);
    expect(limited.retryAfterSeconds).toBe(40);
    expect(limited.headers.RateLimit).toBe('"key";r=3;t=40, "address";r=0;t=40');
    // The refused request cost the key nothing: 4 of its 5 are left for another address.
    expect(
      (
        await takeLimits([
          [perKey, "k"],
          [perAddress, "5.6.7.8"],
        ])
      ).RateLimit,
    ).toMatch(/^"key";r=3;/);
  });
});
