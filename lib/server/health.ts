import "server-only";

/**
 * What `/api/health` (web) and `/healthz` (worker) report: every dependency, each checked with a time limit, so a
 * hung database shows up as a named failure rather than a hung health check.
 */
export type DependencyCheck = () => Promise<void>;

export interface HealthReport {
  status: "ok" | "unavailable";
  dependencies: Record<string, { status: "ok" } | { status: "unavailable"; message: string }>;
}

const TIME_LIMIT_MS = 2_000;

export async function checkHealth(
  checks: Record<string, DependencyCheck>,
  timeLimitMs = TIME_LIMIT_MS,
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeLimitMs} ms`)), timeLimitMs);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, { status: "ok" as const }] as const;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [name, { status: "unavailable" as const, message }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const dependencies = Object.fromEntries(entries);
  const status = entries.every(([, result]) => result.status === "ok") ? "ok" : "unavailable";
  return { status, dependencies };
}
