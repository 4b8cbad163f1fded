import "server-only";
import type { BlobStore } from "./blobs/blob-store";
import { errorFields, log } from "./log";
import type { ClusterLock, TaskRepository, UploadRepository } from "./repository/task-repository";

/** A temporary object untouched this long belongs to a writer that died (a cut-off upload, a killed worker). */
const STALE_MS = 60 * 60 * 1000;

export interface ClusterRetentionDeps {
  tasks: TaskRepository;
  uploads: UploadRepository;
  blobs: BlobStore;
  lock: ClusterLock;
  retentionMs: number;
}

/**
 * Retention on the seams: what `retention.ts` does for one process, done once across the cluster at a time (every
 * worker runs the timer; the cluster lock lets one of them sweep). Undefined when another process held the lock.
 */
export function sweepCluster(deps: ClusterRetentionDeps, now = Date.now()) {
  return deps.lock.runExclusive("retention", async () => {
    const cutoff = now - deps.retentionMs;
    const tasks = await deps.tasks.expire(cutoff);
    for (const id of tasks) await deps.blobs.deleteAll(id);
    const uploads = await deps.uploads.expire(cutoff);
    for (const id of uploads) await deps.blobs.deleteAll(id);
    const stale = await deps.blobs.removeStale(STALE_MS);
    return { tasks: tasks.length, uploads: uploads.length, stale };
  });
}

export function startClusterRetention(deps: ClusterRetentionDeps, everyMs: number): () => void {
  const run = () =>
    sweepCluster(deps).catch((error) => log("error", "retention sweep failed", errorFields(error)));
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
