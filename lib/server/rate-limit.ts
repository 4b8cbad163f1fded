import "server-only";
import { ApiError } from "./api-error";
import type { RateLimitStore } from "./limits/rate-limit-store";

const WINDOW_MS = 60_000;

/** One limiter's verdict on a request: enough for the RateLimit and RateLimit-Policy headers. */
export interface RateLimitState {
  policy: string;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Fixed one-minute windows per key (an API key's owner id, or a client address), counted in a RateLimitStore: this
 * process's memory when it runs alone, Redis when several web instances share the limits (a client spreading its
 * requests over them meets one budget, not one per instance). A limit of 0 switches it off.
 */
export class RateLimiter {
  constructor(
    /** The policy's name in the RateLimit headers, and its counters' namespace in the store. */
    readonly policy: string,
    readonly perMinute: number,
    private readonly store: RateLimitStore,
  ) {}

  /** Count one request for `key`. Null when the limit is off. */
  async take(key: string): Promise<(RateLimitState & { limited: boolean }) | null> {
    if (this.perMinute <= 0) return null;
    const { count, resetInMs } = await this.store.hit(`${this.policy}:${key}`, WINDOW_MS);
    return {
      policy: this.policy,
      limit: this.perMinute,
      remaining: Math.max(0, this.perMinute - count),
      resetSeconds: Math.max(1, Math.ceil(resetInMs / 1000)),
      limited: count > this.perMinute,
    };
  }

  /** Un-count a request that another limiter refused: a refused request costs no other budget. */
  async refund(key: string): Promise<void> {
    if (this.perMinute <= 0) return;
    await this.store.refund(`${this.policy}:${key}`, WINDOW_MS);
  }
}

/** RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers, structured-field syntax). */
export function rateLimitHeaders(states: RateLimitState[]): Record<string, string> {
  if (states.length === 0) return {};
  return {
    "RateLimit-Policy": states.map((s) => `"${s.policy}";q=${s.limit};w=${WINDOW_MS / 1000}`).join(", "),
    RateLimit: states.map((s) => `"${s.policy}";r=${s.remaining};t=${s.resetSeconds}`).join(", "),
  };
}

/**
 * Count the request against every limiter that applies (each with its own key) and return the headers to send.
 * When one is exhausted: a 429 (with Retry-After and the headers so far), and the limiters before it are refunded.
 */
export async function takeLimits(checks: Array<[RateLimiter, string]>): Promise<Record<string, string>> {
  const states: RateLimitState[] = [];
  for (const [i, [limiter, key]] of checks.entries()) {
    const state = await limiter.take(key);
    if (!state) continue;
    states.push(state);
    if (state.limited) {
      for (const [earlier, earlierKey] of checks.slice(0, i)) await earlier.refund(earlierKey);
      throw new RateLimited(state.resetSeconds, rateLimitHeaders(states));
    }
  }
  return rateLimitHeaders(states);
}

export class RateLimited extends ApiError {
  constructor(
    readonly retryAfterSeconds: number,
    headers: Record<string, string> = {},
  ) {
    super(429, `Too many requests: try again in ${retryAfterSeconds} s`, headers);
  }
}
