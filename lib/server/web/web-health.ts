import "server-only";
import { checkHealth, type DependencyCheck, type HealthReport } from "../health";

/**
 * `/api/health`: each dependency (database, queue, storage) with its status, and the server's own state.
 * ok: everything works; degraded: the server answers but can't take new work (the reasons say why: a full disk);
 * unavailable: a dependency does not answer (503, so a load balancer sends requests to another instance).
 */
export interface WebHealth {
  status: "ok" | "degraded" | "unavailable";
  reasons?: string[];
  dependencies: HealthReport["dependencies"];
}

export async function webHealth(
  checks: Record<string, DependencyCheck>,
  degraded: () => string[] = () => [],
): Promise<WebHealth> {
  const report = await checkHealth(checks);
  if (report.status !== "ok") {
    const reasons = Object.entries(report.dependencies).flatMap(([name, result]) =>
      result.status === "ok" ? [] : [`${name}: ${result.message}`],
    );
    return { status: "unavailable", reasons, dependencies: report.dependencies };
  }
  const reasons = degraded();
  return reasons.length > 0
    ? { status: "degraded", reasons, dependencies: report.dependencies }
    : { status: "ok", dependencies: report.dependencies };
}
