import "server-only";
import type { Db } from "./database";
import type { DiskSpace } from "./disk-space";
import type { TaskRecorder } from "./task-recorder";

export interface HealthReport {
  /** ok: everything works; degraded: the server answers but can't take new work (the reasons say why). */
  status: "ok" | "degraded";
  reasons?: string[];
}

const WRITE_PROBE_EVERY_MS = 1000;

/**
 * Health beyond "the process answers": free space under the threshold, a database that takes no writes (a full
 * disk: SQLITE_FULL), task states waiting to be recorded. A database that can't even be read throws.
 */
export function healthCheck(deps: { db: Db; disk: DiskSpace; recorder: TaskRecorder }): () => HealthReport {
  const read = deps.db.prepare("SELECT 1");
  const write = deps.db.prepare(
    "INSERT INTO settings (key, value) VALUES ('health_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );
  // A write per health request would be a write per poll of a load balancer: once a second is plenty.
  let probed = { at: 0, error: null as string | null };
  return () => {
    read.get();
    const reasons: string[] = [];
    const free = deps.disk.freeBytes();
    if (free < deps.disk.minFreeBytes) {
      reasons.push(
        `Free disk space is low: ${mb(free)} left, below the ${mb(deps.disk.minFreeBytes)} threshold`,
      );
    }
    if (Date.now() - probed.at >= WRITE_PROBE_EVERY_MS) {
      try {
        write.run(String(Date.now()));
        probed = { at: Date.now(), error: null };
      } catch (error) {
        probed = { at: Date.now(), error: (error as { code?: string }).code ?? String(error) };
      }
    }
    if (probed.error) reasons.push(`The database is not writable (${probed.error})`);
    if (deps.recorder.waiting > 0) {
      reasons.push(`${deps.recorder.waiting} task state change(s) waiting to be recorded`);
    }
    return reasons.length > 0 ? { status: "degraded", reasons } : { status: "ok" };
  };
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
