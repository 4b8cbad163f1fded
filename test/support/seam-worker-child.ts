/**
 * A detection worker reduced to the seams (PostgreSQL tasks, BullMQ jobs), run as its own process by the scale-out
 * tests so that it can be SIGKILLed while it holds a job. Its "detection" writes two faces; with HANG_AFTER_FIRST_FACE
 * it stops after the first and waits forever (a worker that dies mid-job); with PAUSE_MS it pauses that long after each
 * face (a job still running when SIGTERM comes). Prints "claimed <task id>" per claim.
 */
import { bullmqJobQueue } from "../../lib/server/jobs/bullmq-job-queue";
import { claimedRunHandler } from "../../lib/server/jobs/claimed-run";
import { openPostgres } from "../../lib/server/repository/postgres";
import { postgresTaskRepository } from "../../lib/server/repository/postgres-task-repository";
import { seamWorkerRun } from "./seam-worker-run";

const [databaseUrl, redisUrl, prefix, queueName] = process.argv.slice(2) as [string, string, string, string];
const pool = await openPostgres(databaseUrl, { max: 2 });
const tasks = postgresTaskRepository(pool);
const queue = bullmqJobQueue({
  url: redisUrl,
  prefix,
  queueName,
  concurrency: 1,
  attempts: 3,
  backoffMs: 100,
  // Short by default so tests recover in seconds; LOCK_MS / STALLED_MS / LEASE_MS set production-like ones.
  lockMs: Number(process.env.LOCK_MS ?? 2000),
  stalledIntervalMs: Number(process.env.STALLED_MS ?? 1000),
  exhausted: async (taskId, error) => {
    await tasks.abandon(taskId, error.message);
  },
});
const hang = process.env.HANG_AFTER_FIRST_FACE === "1";
queue.start(
  claimedRunHandler(
    { tasks, worker: `child:${process.pid}`, leaseMs: Number(process.env.LEASE_MS ?? 2000), maxAttempts: 3 },
    seamWorkerRun(tasks, {
      hang,
      pauseMs: Number(process.env.PAUSE_MS ?? 0),
      onClaim: (id) => console.log(`claimed ${id}`),
    }),
  ),
);
process.on("SIGTERM", async () => {
  await queue.stop();
  await queue.close();
  await pool.end();
  process.exit(0);
});
