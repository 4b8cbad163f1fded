import { randomBytes } from "node:crypto";

/**
 * The scale-out tests need real PostgreSQL, Redis and an S3-compatible store. On a laptop without them those tests
 * are skipped with a line naming what to set; in CI (`CI=true`, where `.ci/services.sh` starts them) a missing
 * setting fails the run instead, so the tests can't silently stop running there.
 */
export type ScaleOutService = "DATABASE_URL" | "REDIS_URL" | "S3_BUCKET";

const HOW = 'eval "$(bash .ci/services.sh start)" starts them on loopback and prints the settings';

export function servicesReady(suite: string, ...needed: ScaleOutService[]): boolean {
  const missing = needed.filter((name) => !process.env[name]?.trim());
  if (missing.length === 0) return true;
  const message = `${suite}: set ${missing.join(", ")} to run these tests (${HOW})`;
  if (process.env.CI) throw new Error(`CI runs the scale-out tests, but ${message}`);
  console.warn(`[skipped] ${message}`);
  return false;
}

/** A name no other test run uses: tests share one PostgreSQL, one Redis and one bucket. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}

export function env(
  name: ScaleOutService | "S3_ENDPOINT" | "S3_ACCESS_KEY_ID" | "S3_SECRET_ACCESS_KEY",
): string {
  return process.env[name] ?? "";
}
