import "server-only";

/**
 * Structured logs: one JSON object per line on stdout (errors on stderr), which any log collector can parse.
 * `LOG_LEVEL` (debug, info, warn, error, silent; default info) sets the least severe level written.
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = Exclude<(typeof LOG_LEVELS)[number], "silent">;

function threshold(): number {
  const configured = (process.env.LOG_LEVEL ?? "info").toLowerCase();
  const index = LOG_LEVELS.indexOf(configured as (typeof LOG_LEVELS)[number]);
  // A typo must not silence the server: an unknown level logs at info.
  return index === -1 ? 1 : index;
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  if (LOG_LEVELS.indexOf(level) < threshold()) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === "error") process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}

/** An error as log fields: its name, message and stack, and the cause's, without anything a request carried. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  return {
    error: { name: error.name, message: error.message, stack: error.stack },
    ...(error.cause instanceof Error
      ? { cause: { name: error.cause.name, message: error.cause.message } }
      : {}),
  };
}
