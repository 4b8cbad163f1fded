import { type RunningServer, startServer } from "./next-server";
import { type ClusterSettings, clusterEnv } from "./worker-cluster";

/**
 * Web instances of a scale-out deployment for the multi-process tests: the production build under `next start`
 * with `PROCESS_ROLE=web` (what `npm run start:web` sets), on the same PostgreSQL database, Redis prefix and bucket
 * as the workers beside them (worker-cluster.ts). Each is a process of its own on its own loopback port and data
 * directory, so killing one (`stop("SIGKILL")`) leaves the others serving.
 */
export async function startWeb(
  settings: ClusterSettings,
  extra: Record<string, string> = {},
): Promise<RunningServer> {
  return startServer({ ...clusterEnv(settings), PROCESS_ROLE: "web", ...extra });
}
