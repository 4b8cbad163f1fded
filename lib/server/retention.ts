import "server-only";
import type { FileStorage } from "./file-storage";
import { errorFields, log } from "./log";
import type { TaskStore } from "./task-store";
import type { UploadStore } from "./upload-store";

/** A temporary file untouched this long belongs to a writer that died (an upload cut off, a crash). */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Keep disk use bounded: results and uploads older than the retention period lose their files (tasks keep a
 * tombstone so a shared link can say the result expired), and half-written temporary files and empty folders are
 * removed.
 */
export async function sweep(
  deps: { tasks: TaskStore; uploads: UploadStore; storage: FileStorage; retentionMs: number },
  now = Date.now(),
  staleBefore = now - STALE_TEMP_MS,
): Promise<{ tasks: number; uploads: number; tempFiles: number }> {
  const cutoff = now - deps.retentionMs;
  const tasks = deps.tasks.expire(cutoff);
  for (const id of tasks) await deps.storage.removeAll(id);
  const uploads = deps.uploads.expire(cutoff);
  for (const id of uploads) await deps.storage.removeAll(id);
  const tempFiles = await deps.storage.removeStale(staleBefore);
  return { tasks: tasks.length, uploads: uploads.length, tempFiles };
}

/**
 * Sweep now and then periodically. At start-up every temporary file and empty folder older than this process
 * belongs to a writer that died with the last one (a server killed during an upload). `clock` is the time the
 * sweeps judge age by (tests move it instead of waiting); `everyMs` is real time between sweeps.
 */
export function startRetention(
  deps: Parameters<typeof sweep>[0],
  everyMs: number,
  clock: () => number = Date.now,
): () => void {
  const startedAt = clock();
  const run = (staleBefore: number) =>
    sweep(deps, clock(), staleBefore).catch((error) =>
      log("error", "retention sweep failed", errorFields(error)),
    );
  void run(startedAt);
  const timer = setInterval(() => void run(clock() - STALE_TEMP_MS), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
