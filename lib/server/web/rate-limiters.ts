import "server-only";
import type { ServerConfig } from "../config";
import type { RateLimitStore } from "../limits/rate-limit-store";
import { RateLimiter } from "../rate-limit";

/** The web side's budgets, each counted in the process's rate-limit store (memory, or Redis shared by instances). */
export function rateLimiters(config: ServerConfig, store: RateLimitStore) {
  return {
    perKey: new RateLimiter("key", config.rateLimitPerKey, store),
    apiPerAddress: new RateLimiter("api-address", config.rateLimitPerAddress, store),
    webPerAddress: new RateLimiter("web-address", config.rateLimitWebPerAddress, store),
    reruns: new RateLimiter("rerun-address", config.rateLimitRerunsPerAddress, store),
  };
}
