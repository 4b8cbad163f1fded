import "server-only";
import { errorFields, log } from "../log";
import { type Claim, LeaseLostError, type TaskRepository } from "../repository/task-repository";
import type { TaskRecord } from "../task-store";
import type { JobHandler, JobOutcome } from "./job-queue";

/** How soon a job whose claim could not be written (the database full or away) is tried again. */
export const UNCLAIMED_RETRY_MS = 2000;

export interface ClaimedRunOptions {
  tasks: TaskRepository;
  /** Who runs it (host:pid). */
  worker: string;
  /** A run's lease, renewed every third of it while the run goes on. */
  leaseMs: number;
  maxAttempts: number;
}

/**
 * What a run does with its task once claimed: finish it through the repository (every write carrying the claim),
 * or ask to be woken later (`againInMs`, a remote provider still working) without holding a worker slot meanwhile.
 * `signal` aborts when the claim is lost, so a run that can stop early does.
 */
export type ClaimedRun = (claim: Claim, task: TaskRecord, signal: AbortSignal) => Promise<JobOutcome>;

/**
 * Turns a run into a job handler: claims the task (a second delivery of the same job finds it held, finished or
 * gone, and does nothing), keeps the lease alive while the run works, parks the task when the run asks to be woken
 * later, and gives the task back when the run throws, so the queue's retry can claim it again. A claim the
 * database can't take (full, read-only, away) starts nothing: the job waits `UNCLAIMED_RETRY_MS` and comes back,
 * without counting as a try, since the task never ran (as the embedded dispatch leaves a task whose start can't be
 * recorded queued until writes work again).
 */
export function claimedRunHandler(options: ClaimedRunOptions, run: ClaimedRun): JobHandler {
  const { tasks, leaseMs } = options;
  return async (taskId) => {
    let result: Awaited<ReturnType<TaskRepository["claim"]>>;
    try {
      result = await tasks.claim(taskId, options);
    } catch (error) {
      log("error", "task start not recorded; will retry", { task_id: taskId, ...errorFields(error) });
      return { againInMs: UNCLAIMED_RETRY_MS };
    }
    if (!result.claimed) {
      // Held: a worker that may be dead still has the lease; look again just after it would have lapsed.
      return result.reason === "held" ? { againInMs: result.leaseLeftMs + 250 } : undefined;
    }
    const { claim, task } = result;
    const lost = new AbortController();
    const renewal = setInterval(() => {
      tasks.renew(claim, leaseMs).catch((error) => {
        if (error instanceof LeaseLostError) lost.abort(error);
        else console.error(`[jobs] task ${taskId}: lease renewal failed:`, error);
      });
    }, leaseMs / 3);
    renewal.unref();
    try {
      const outcome = await run(claim, task, lost.signal);
      if (outcome) await tasks.park(claim, outcome.againInMs + leaseMs);
      return outcome;
    } catch (error) {
      // Another attempt owns the task now: nothing of this one counts, and nothing is left to do.
      if (error instanceof LeaseLostError || lost.signal.aborted) return undefined;
      await tasks.release(claim).catch(() => {});
      throw error;
    } finally {
      clearInterval(renewal);
    }
  };
}
