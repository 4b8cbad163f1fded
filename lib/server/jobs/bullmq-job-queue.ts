import "server-only";
import { DelayedError, type Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { clientLanes } from "./client-lanes";
import { type JobCounts, type JobHandler, type JobQueue, type JobQueueOptions, NO_CLIENT } from "./job-queue";

export interface BullmqOptions extends JobQueueOptions {
  url: string;
  /** Key prefix in Redis (tests use one per run). */
  prefix?: string;
  queueName?: string;
  /**
   * How long a worker's hold on a job lasts without renewal (BullMQ renews it at half this while the job runs).
   * A worker killed mid-job loses it this long after, plus up to `stalledIntervalMs` until a peer notices.
   */
  lockMs?: number;
  stalledIntervalMs?: number;
}

/** `client` is absent on jobs queued before clients had lanes. */
type Data = { taskId: string; client?: string };

/**
 * Jobs in Redis through BullMQ. Finished jobs are removed at once, so a task can be enqueued again later (the
 * sweeper after Redis lost its data, a rerun) under the same id. A job whose worker died is noticed by a peer's
 * stalled-job check and run again; after `attempts` such deaths, or `attempts` thrown tries, it is given up and
 * `exhausted` ends its task. Every job has a priority from its client's lane (client-lanes.ts), which makes the
 * queue fair between clients.
 */
export function bullmqJobQueue(options: BullmqOptions): JobQueue {
  const prefix = options.prefix ?? "facefinder";
  const name = options.queueName ?? "detections";
  const lockDuration = options.lockMs ?? 20_000;
  // BullMQ's blocking reads need a connection that never gives up on a command; a fresh one per role.
  const connect = () => new Redis(options.url, { maxRetriesPerRequest: null, lazyConnect: false });
  const queueConnection = connect();
  queueConnection.on("error", (error) => console.error("[jobs] Redis:", error.message));
  const queue = new Queue<Data>(name, {
    connection: queueConnection,
    prefix,
    defaultJobOptions: {
      attempts: options.attempts,
      backoff: { type: "exponential", delay: options.backoffMs },
      removeOnComplete: true,
      removeOnFail: true,
    },
  });
  const lanes = clientLanes(queueConnection, { prefix, queueName: name });
  const leave = (data: Data) =>
    lanes.leave(data.client ?? NO_CLIENT, data.taskId).catch((error) => {
      // Only a count: the lane prunes a task whose job has gone the next time it is counted.
      console.error(`[jobs] task ${data.taskId}: not taken out of its client's lane:`, error.message);
    });
  let worker: Worker<Data> | null = null;
  let workerConnection: Redis | null = null;

  return {
    async enqueue(taskId, { delayMs = 0, client = NO_CLIENT } = {}) {
      const priority = await lanes.join(client, taskId);
      if (priority === null) return; // it has a job already
      // Every job has a priority: BullMQ runs jobs without one before any prioritized job, which would undo the turns.
      await queue.add(
        "detect",
        { taskId, client },
        { jobId: taskId, priority, delay: delayMs > 0 ? delayMs : undefined },
      );
    },

    queued: (client) => lanes.size(client),

    start(handler: JobHandler) {
      if (worker) throw new Error("The job queue is already started");
      workerConnection = connect();
      workerConnection.on("error", (error) => console.error("[jobs] Redis:", error.message));
      worker = new Worker<Data>(
        name,
        async (job: Job<Data>, token?: string) => {
          const outcome = await handler(job.data.taskId, { attempt: job.attemptsMade + 1 });
          if (outcome) {
            // Back to delayed without holding this worker's slot; the same job (and id) runs again later.
            await job.moveToDelayed(Date.now() + outcome.againInMs, token);
            throw new DelayedError();
          }
          await leave(job.data);
        },
        {
          connection: workerConnection,
          prefix,
          concurrency: options.concurrency,
          lockDuration,
          stalledInterval: options.stalledIntervalMs ?? 15_000,
          // A backstop only: the task repository counts the attempts of workers that died (a claim whose lease
          // lapsed) and ends the task in `error` first; a job BullMQ gives up on leaves its task to the sweeper.
          maxStalledCount: options.attempts + 1,
        },
      );
      worker.on("error", (error) => console.error("[jobs] worker:", error.message));
      worker.on("failed", (job, error) => {
        // Fired after every failed try; only the last one gives the job up.
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
          void leave(job.data);
          options.exhausted(job.data.taskId, error).catch((failure) => {
            console.error(`[jobs] could not end task ${job.data.taskId}:`, failure);
          });
        }
      });
    },

    async stop() {
      // close() waits for the jobs this worker holds to finish, and takes no new ones meanwhile.
      await worker?.close();
    },

    async counts(): Promise<JobCounts> {
      const counts = await queue.getJobCounts("waiting", "prioritized", "delayed", "active");
      return {
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        delayed: counts.delayed ?? 0,
        running: counts.active ?? 0,
      };
    },

    async idle() {
      for (;;) {
        const counts = await this.counts();
        if (counts.waiting + counts.delayed + counts.running === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },

    async check() {
      await queueConnection.ping();
    },

    async close() {
      await worker?.close();
      await queue.close();
      workerConnection?.disconnect();
      queueConnection.disconnect();
    },
  };
}
