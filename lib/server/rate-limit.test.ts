import { describe, expect, it } from "vitest";
import { RateLimited, RateLimiter, rateLimitHeaders, takeLimits } from "./rate-limit";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("RateLimiter", () => {
  it("allows the limit per key per minute, then refuses until the key's window ends", () => {
    const time = clock();
    const limiter = new RateLimiter("test", 3, time.now);
    expect([1, 2, 3].map(() => limiter.take("a")?.limited)).toEqual([false, false, false]);
    const refused = limiter.take("a");
    expect(refused).toMatchObject({ limited: true, remaining: 0, resetSeconds: 60 });
    expect(limiter.take("b")?.limited).toBe(false);
    time.advance(59_000);
    expect(limiter.take("a")).toMatchObject({ limited: true, resetSeconds: 1 });
    time.advance(1_000);
    expect(limiter.take("a")).toMatchObject({ limited: false, remaining: 2, resetSeconds: 60 });
  });

  it("is off at 0", () => {
    const limiter = new RateLimiter("off", 0);
    for (let i = 0; i < 1000; i++) expect(limiter.take("a")).toBeNull();
  });

  it("forgets expired windows as time passes, without waiting for the table to grow", () => {
    const time = clock();
    const limiter = new RateLimiter("test", 120, time.now);
    for (let i = 0; i < 40_000; i++) {
      limiter.take(`address-${i}`);
      if (i % 1000 === 999) time.advance(1_000);
    }
    // 40 s of new addresses: none has expired yet.
    expect(limiter.size).toBe(40_000);
    time.advance(30_000);
    limiter.take("late");
    // 70 s after the first: the windows opened in the first 10 s (11 batches of 1000) are gone, the rest stay.
    expect(limiter.size).toBe(29_000 + 1);
    time.advance(60_000);
    limiter.take("later");
    expect(limiter.size).toBe(1);
  });

  it("keeps a key's newer window when an older one for the same key expires", () => {
    const time = clock();
    const limiter = new RateLimiter("test", 1, time.now);
    limiter.take("a");
    time.advance(60_000);
    limiter.take("a"); // a new window for "a"
    time.advance(30_000);
    expect(limiter.take("a")?.limited).toBe(true);
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

  it("throws a 429 with Retry-After from the exhausted limiter, and refunds the limiters before it", () => {
    const time = clock();
    const perKey = new RateLimiter("key", 5, time.now);
    const perAddress = new RateLimiter("address", 1, time.now);
    expect(
      takeLimits([
        [perKey, "k"],
        [perAddress, "1.2.3.4"],
      ]),
    ).toMatchObject({
      RateLimit: '"key";r=4;t=60, "address";r=0;t=60',
    });
    time.advance(20_000);
    let thrown: unknown;
    try {
      takeLimits([
        [perKey, "k"],
        [perAddress, "1.2.3.4"],
      ]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RateLimited);
    const limited = thrown as RateLimited;
    expect(limited.status).toBe(429);
    expect(limited.retryAfterSeconds).toBe(40);
    expect(limited.headers.RateLimit).toBe('"key";r=3;t=40, "address";r=0;t=40');
    // The refused request cost the key nothing: 4 of its 5 are left for another address.
    expect(
      takeLimits([
        [perKey, "k"],
        [perAddress, "5.6.7.8"],
      ]).RateLimit,
    ).toMatch(/^"key";r=3;/);
  });
});
