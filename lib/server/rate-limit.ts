import { ApiError } from "./api-error";

const WINDOW_MS = 60_000;

/** One limiter's verdict on a request: enough for the RateLimit and RateLimit-Policy headers. */
export interface RateLimitState {
  policy: string;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Fixed one-minute windows per key (an API key's owner id, or a client address), kept in memory: enough for one
 * server process, which is how this app runs. A limit of 0 switches it off.
 *
 * Windows are also kept in the order they opened, so expired ones are dropped from the front of that list as time
 * passes: each window is forgotten once, and no request ever scans the table (which, with tens of thousands of
 * addresses, made every new address pay for all the others).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private opened: Array<{ key: string; start: number }> = [];
  private head = 0;

  constructor(
    /** The policy's name in the RateLimit headers. */
    readonly policy: string,
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.windows.size;
  }

  /** Count one request for `key`. Null when the limit is off. */
  take(key: string): (RateLimitState & { limited: boolean }) | null {
    if (this.perMinute <= 0) return null;
    const now = this.now();
    this.expire(now);
    let window = this.windows.get(key);
    if (!window) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      this.opened.push({ key, start: now });
    }
    window.count++;
    return {
      policy: this.policy,
      limit: this.perMinute,
      remaining: Math.max(0, this.perMinute - window.count),
      resetSeconds: Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000)),
      limited: window.count > this.perMinute,
    };
  }

  /** Un-count a request that another limiter refused: a refused request costs no other budget. */
  refund(key: string): void {
    const window = this.windows.get(key);
    if (window && window.count > 0) window.count--;
  }

  private expire(now: number): void {
    while (this.head < this.opened.length) {
      const oldest = this.opened[this.head] as { key: string; start: number };
      if (now - oldest.start < WINDOW_MS) break;
      if (this.windows.get(oldest.key)?.start === oldest.start) this.windows.delete(oldest.key);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.opened.length) {
      this.opened = this.opened.slice(this.head);
      this.head = 0;
    }
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
export function takeLimits(checks: Array<[RateLimiter, string]>): Record<string, string> {
  const states: RateLimitState[] = [];
  for (const [i, [limiter, key]] of checks.entries()) {
    const state = limiter.take(key);
    if (!state) continue;
    states.push(state);
    if (state.limited) {
      for (const [earlier, earlierKey] of checks.slice(0, i)) earlier.refund(earlierKey);
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
