import "server-only";
import type { ClusterLock, TaskRepository } from "../repository/task-repository";
import type { JobQueue } from "./job-queue";

/** Enough for one sweep to catch up after Redis lost everything; the next sweep takes the rest. */
const BATCH = 1000;

/**
 * The database is the record, the queue only a copy: if Redis restarts without its data (or a job is given up while
 * its task still waits), tasks stay `queued` with no job behind them. This puts every such task back in the queue.
 * Safe to repeat: a job's id is its task's id, so a task whose job is still there is not queued twice.
 */
export async function requeueStranded(tasks: TaskRepository, queue: JobQueue): Promise<number> {
  const ids = await tasks.stranded(BATCH);
  for (const id of ids) await queue.enqueue(id);
  return ids.length;
}

/** Sweep now and then every `everyMs`, one process at a time across the cluster. */
export function startRequeueSweeper(
  deps: { tasks: TaskRepository; queue: JobQueue; lock: ClusterLock },
  everyMs: number,
): () => void {
  const run = () =>
    deps.lock
      .runExclusive("requeue", () => requeueStranded(deps.tasks, deps.queue))
      .catch((error) => console.error("[jobs] requeue sweep failed:", error));
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
