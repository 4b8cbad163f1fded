/**
 * npm run bench:recovery — how long after a worker is SIGKILLed mid-job another worker finishes its task, with the
 * production lock, stall-check and lease times, on real PostgreSQL and Redis (DATABASE_URL, REDIS_URL; e.g.
 * `eval "$(bash .ci/services.sh start)"`). The workers are the seam-level ones the tests use (two faces per task).
 *
 *   npm run bench:recovery -- [--runs 3] [--lock 20000] [--stalled 15000] [--lease 20000]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { bullmqJobQueue } from "../lib/server/jobs/bullmq-job-queue";
import { openPostgres } from "../lib/server/repository/postgres";
import { postgresTaskRepository } from "../lib/server/repository/postgres-task-repository";
import { newTask } from "../lib/server/repository/repository-contract";
import { scratchDatabase } from "../test/support/postgres-scratch";
import { env, uniqueName } from "../test/support/scale-out-services";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    lock: { type: "string", default: "20000" },
    stalled: { type: "string", default: "15000" },
    lease: { type: "string", default: "20000" },
  },
});
if (!env("DATABASE_URL") || !env("REDIS_URL")) {
  console.error(
    'Set DATABASE_URL and REDIS_URL (eval "$(bash .ci/services.sh start)" starts both on loopback)',
  );
  process.exit(2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const scratch = await scratchDatabase();
const pool = await openPostgres(scratch.url);
const tasks = postgresTaskRepository(pool);
const prefix = uniqueName("facefinder_bench");
const workerEnv = {
  ...process.env,
  LOCK_MS: values.lock,
  STALLED_MS: values.stalled,
  LEASE_MS: values.lease,
};
const args = [
  "--conditions=react-server",
  "--import",
  "tsx",
  "test/support/seam-worker-child.ts",
  scratch.url,
  env("REDIS_URL"),
  prefix,
  "q",
];
const start = (hang: boolean): ChildProcess =>
  spawn(process.execPath, args, {
    env: { ...workerEnv, HANG_AFTER_FIRST_FACE: hang ? "1" : "0" },
    stdio: "ignore",
  });
const queue = bullmqJobQueue({
  url: env("REDIS_URL"),
  prefix,
  queueName: "q",
  concurrency: 1,
  attempts: 3,
  backoffMs: 100,
  exhausted: async () => {},
});

const seconds: number[] = [];
try {
  for (let run = 0; run < Number(values.runs); run++) {
    const doomed = start(true);
    const task = await tasks.create(newTask());
    await queue.enqueue(task.id);
    while ((await tasks.faces(task.id)).length < 1) await sleep(50);
    const survivor = start(false);
    await sleep(3000); // the survivor is up and idle
    const killedAt = Date.now();
    doomed.kill("SIGKILL");
    while ((await tasks.get(task.id))?.status !== "complete") await sleep(100);
    seconds.push((Date.now() - killedAt) / 1000);
    console.log(`run ${run + 1}: complete ${seconds.at(-1)?.toFixed(1)} s after SIGKILL`);
    survivor.kill("SIGTERM");
    await new Promise((resolve) => survivor.once("exit", resolve));
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  console.log(
    `lock ${values.lock} ms, stall check ${values.stalled} ms, lease ${values.lease} ms: median ${sorted[
      Math.floor(sorted.length / 2)
    ]?.toFixed(1)} s, worst ${sorted.at(-1)?.toFixed(1)} s over ${sorted.length} runs`,
  );
} finally {
  await queue.close();
  await pool.end();
  await scratch.drop();
}
process.exit(0);
