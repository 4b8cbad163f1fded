import { ApiError } from "./api-error";

/**
 * Fixed-window request limits per key (an API key's owner id, or a client address), kept in memory: enough for one
 * server process, which is how this app runs. A limit of 0 switches it off.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one request for `key`; throws a 429 ApiError (with the seconds to wait) when over the limit. */
  take(key: string): void {
    if (this.perMinute <= 0) return;
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      if (this.windows.size > 10_000) this.sweep(now);
    }
    window.count++;
    if (window.count > this.perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
      throw new RateLimited(retryAfter);
    }
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= 60_000) this.windows.delete(key);
  }
}

export class RateLimited extends ApiError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, `Too many requests: try again in ${retryAfterSeconds} s`);
  }
}

/** The client's address as the server saw it (Next.js passes the socket's address on as x-forwarded-for). */
export function clientAddress(request: Request): string {
  return request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || "unknown";
}
