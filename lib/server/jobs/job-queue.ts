import "server-only";

/**
 * The detection jobs: in this process (embedded, the default), or in Redis with BullMQ when `REDIS_URL` is set and
 * any number of workers on any hosts take them. A job's id is its task's id, so asking twice for the same task
 * (the sweeper, a redelivery) queues it once. Delivery is at least once: the task repository's claims make a second
 * delivery harmless.
 */
export interface JobQueue {
  /**
   * Ask for the task to run (after `delayMs`); a no-op while a job for it is waiting, delayed or running. `client`
   * (an API key's owner, a web visitor's lane) makes the queue fair: free slots go to clients in turn, so one
   * client's burst delays another client's task by about one task per slot, not by the whole burst. Jobs asked
   * for without a client (the sweeper's, after Redis lost its data) share one lane of their own.
   */
  enqueue(taskId: string, options?: EnqueueOptions): Promise<void>;
  /** The client's tasks with a job (waiting, delayed or running), for the cap on queued detections per client. */
  queued(client: string): Promise<number>;
  /** Take jobs and run them, `concurrency` at a time per process (the worker role; web-only processes don't). */
  start(handler: JobHandler): void;
  /** Stop taking jobs and wait for the ones this process holds to finish (SIGTERM). */
  stop(): Promise<void>;
  counts(): Promise<JobCounts>;
  /** Resolves once nothing is waiting, delayed or running anywhere (tests, benchmarks). */
  idle(): Promise<void>;
  /** Reachability for /api/health. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export interface EnqueueOptions {
  delayMs?: number;
  client?: string;
}

/** The lane of jobs asked for without a client. */
export const NO_CLIENT = "_";

/**
 * Runs one job. Resolving with `{ againInMs }` puts the job back to run again later without holding a slot while it
 * waits (polling Magic Hour). Throwing means "try again": the queue retries with backoff, and calls `exhausted`
 * once every try has failed (or the job's worker died on every delivery), so the task can end in `error`.
 */
export type JobHandler = (taskId: string, delivery: { attempt: number }) => Promise<JobOutcome>;
export type JobOutcome = undefined | { againInMs: number };

export interface JobCounts {
  waiting: number;
  delayed: number;
  running: number;
}

export interface JobQueueOptions {
  /** Jobs run at once in this process (`DETECTION_CONCURRENCY`). */
  concurrency: number;
  /** Tries per job before it is given up (a thrown handler, a worker that died holding it). */
  attempts: number;
  /** The first retry's delay; each next one doubles it. */
  backoffMs: number;
  /** Called once when a job is given up: end its task with the reason. */
  exhausted(taskId: string, error: Error): Promise<void>;
}
