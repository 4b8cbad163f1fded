import "server-only";
import { DetectionQueue } from "../detection-queue";
import { type JobCounts, type JobHandler, type JobQueue, type JobQueueOptions, NO_CLIENT } from "./job-queue";

/**
 * The embedded queue: today's DetectionQueue (bounded concurrency, a lane per client served in turn) plus what the seam adds, delayed
 * jobs and retries, on timers in this process. Nothing here survives a restart, and nothing needs to: the task
 * repository is the record, and start-up enqueues every task it still holds as unfinished.
 */
export function inProcessJobQueue(options: JobQueueOptions): JobQueue {
  let handler: JobHandler | null = null;
  let stopping = false;
  const tries = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  /** Tasks with a job (waiting, delayed or running; the job id is the task id), with their client's lane. */
  const pending = new Map<string, string>();
  let running = 0;
  let idleWaiters: Array<() => void> = [];

  const settle = () => {
    if (pending.size === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const queue = new DetectionQueue(async (taskId) => {
    if (!handler) return; // kept in `pending`: start() hands it over
    if (stopping) {
      pending.delete(taskId);
      return settle();
    }
    const attempt = (tries.get(taskId) ?? 0) + 1;
    tries.set(taskId, attempt);
    running++;
    try {
      const outcome = await handler(taskId, { attempt });
      if (outcome) return later(taskId, outcome.againInMs, false);
      tries.delete(taskId);
      pending.delete(taskId);
    } catch (error) {
      if (attempt < options.attempts) return later(taskId, options.backoffMs * 2 ** (attempt - 1), true);
      tries.delete(taskId);
      pending.delete(taskId);
      await options.exhausted(taskId, error instanceof Error ? error : new Error(String(error)));
    } finally {
      running--;
      settle();
    }
  }, options.concurrency);

  function later(taskId: string, delayMs: number, retry: boolean) {
    // A delay for polling is not a failed try.
    if (!retry) tries.set(taskId, (tries.get(taskId) ?? 1) - 1);
    const timer = setTimeout(() => {
      timers.delete(taskId);
      queue.enqueue(taskId, pending.get(taskId));
    }, delayMs);
    timer.unref();
    timers.set(taskId, timer);
  }

  return {
    async enqueue(taskId, { delayMs = 0, client = NO_CLIENT } = {}) {
      if (pending.has(taskId) || stopping) return;
      pending.set(taskId, client);
      if (delayMs > 0) later(taskId, delayMs, false);
      else if (handler) queue.enqueue(taskId, client);
    },
    async queued(client) {
      let count = 0;
      for (const lane of pending.values()) if (lane === client) count++;
      return count;
    },
    start(run) {
      handler = run;
      // Jobs asked for before there was anyone to run them (start-up recovery runs first).
      for (const [taskId, client] of pending) if (!timers.has(taskId)) queue.enqueue(taskId, client);
    },
    async stop() {
      stopping = true;
      for (const [taskId, timer] of timers) {
        clearTimeout(timer);
        pending.delete(taskId);
      }
      timers.clear();
      await queue.idle();
      settle();
    },
    async counts(): Promise<JobCounts> {
      return { waiting: pending.size - timers.size - running, delayed: timers.size, running };
    },
    idle() {
      if (pending.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async check() {},
    async close() {
      await this.stop();
      idleWaiters = [];
    },
  };
}
