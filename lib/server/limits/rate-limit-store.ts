import "server-only";
import { RateLimited } from "../rate-limit";

/**
 * Request counters for rate limits: in this process's memory (embedded), or in Redis when `REDIS_URL` is set, so
 * that a client spreading requests over several web instances meets one limit, not one per instance.
 *
 * Fixed windows that start at a key's first hit: the first hit sets the window's end, and the count starts over
 * once it has passed.
 */
export interface RateLimitStore {
  /** Count one hit on `key`; the hits so far in its window (this one included) and the time until the window ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** Take back one hit on `key` in its current window (a request another limit refused costs this one nothing). */
  refund(key: string, windowMs: number): Promise<void>;
}

/** Count a request against a per-minute budget; throws the 429 (with the seconds to wait) when it is spent. */
export async function takeFromBudget(store: RateLimitStore, key: string, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  const { count, resetInMs } = await store.hit(key, 60_000);
  if (count > perMinute) throw new RateLimited(Math.max(1, Math.ceil(resetInMs / 1000)));
}

export function memoryRateLimitStore(now: () => number = Date.now): RateLimitStore {
  // One map per window length. A Map keeps insertion order, and a window is (re)inserted when it starts, so within
  // one length the windows that end first are at the front: expiry only looks at entries that are due, never the
  // whole map.
  const byLength = new Map<number, Map<string, { end: number; count: number }>>();
  return {
    async hit(key, windowMs) {
      const at = now();
      let windows = byLength.get(windowMs);
      if (!windows) {
        windows = new Map();
        byLength.set(windowMs, windows);
      }
      for (const [oldKey, window] of windows) {
        if (window.end > at) break;
        windows.delete(oldKey);
      }
      let window = windows.get(key);
      if (!window) {
        window = { end: at + windowMs, count: 0 };
        windows.set(key, window);
      }
      window.count++;
      return { count: window.count, resetInMs: window.end - at };
    },
    async refund(key, windowMs) {
      const window = byLength.get(windowMs)?.get(key);
      if (window && window.end > now() && window.count > 0) window.count--;
    },
  };
}
