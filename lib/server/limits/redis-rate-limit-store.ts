import "server-only";
import type { Redis } from "ioredis";
import type { RateLimitStore } from "./rate-limit-store";

// One round trip, atomic: concurrent hits from any number of web instances each get their own count. The window's
// end is Redis's own expiry, on Redis's clock, so hosts with skewed clocks still agree.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

// Only a window that still runs is taken from, and never below zero: a refund arriving after the window ended (or a
// second refund of one hit) must not start the next window in debt.
const REFUND = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 and redis.call('PTTL', KEYS[1]) > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

export function redisRateLimitStore(redis: Redis, prefix = "facefinder"): RateLimitStore {
  return {
    async hit(key, windowMs) {
      const [count, ttl] = (await redis.eval(HIT, 1, `${prefix}:rate:${key}`, windowMs)) as [number, number];
      return { count, resetInMs: ttl };
    },
    async refund(key) {
      await redis.eval(REFUND, 1, `${prefix}:rate:${key}`);
    },
  };
}
