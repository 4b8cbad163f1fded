import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDatabase } from "../../../test/support/postgres-scratch";
import { env, servicesReady, uniqueName } from "../../../test/support/scale-out-services";
import { seamWorkerRun } from "../../../test/support/seam-worker-run";
import { postgresClusterLock } from "../repository/cluster-lock";
import { openPostgres, type PgPool } from "../repository/postgres";
import { postgresTaskRepository } from "../repository/postgres-task-repository";
import { newTask } from "../repository/repository-contract";
import { bullmqJobQueue } from "./bullmq-job-queue";
import { claimedRunHandler } from "./claimed-run";
import type { JobQueue } from "./job-queue";
import { requeueStranded, startRequeueSweeper } from "./requeue-sweeper";

const ready = servicesReady("Scale-out jobs (PostgreSQL + BullMQ)", "DATABASE_URL", "REDIS_URL");
const ROOT = path.resolve(import.meta.dirname, "../../..");

/** Wait for a condition that the system under test must reach; the test's own timeout bounds it. */
async function until(check: () => Promise<boolean>) {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe.runIf(ready)("Scale-out jobs: PostgreSQL tasks and BullMQ jobs across processes", () => {
  const prefix = uniqueName("facefinder_test");
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: PgPool;
  const queues: JobQueue[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    scratch = await scratchDatabase();
    pool = await openPostgres(scratch.url);
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await Promise.all(queues.map((queue) => queue.close()));
    await pool?.end();
    await scratch?.drop();
    const redis = new Redis(env("REDIS_URL"));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  function worker(queueName: string) {
    const tasks = postgresTaskRepository(pool);
    const queue = bullmqJobQueue({
      url: env("REDIS_URL"),
      prefix,
      queueName,
      concurrency: 2,
      attempts: 3,
      backoffMs: 100,
      lockMs: 2000,
      stalledIntervalMs: 1000,
      exhausted: async (taskId, error) => {
        await tasks.abandon(taskId, error.message);
      },
    });
    queues.push(queue);
    return { tasks, queue };
  }

  function spawnChild(queueName: string, hang: boolean, pauseMs = 0) {
    // Node itself with tsx as a loader (not the tsx CLI, which would put a wrapper process between us and the
    // worker that a SIGKILL would stop in its place).
    const child = spawn(
      process.execPath,
      [
        "--conditions=react-server",
        "--import",
        "tsx",
        "test/support/seam-worker-child.ts",
        scratch.url,
        env("REDIS_URL"),
        prefix,
        queueName,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, HANG_AFTER_FIRST_FACE: hang ? "1" : "0", PAUSE_MS: String(pauseMs) },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    children.push(child);
    const claimed: string[] = [];
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      for (const match of text.matchAll(/claimed (\w+)/g)) claimed.push(match[1] as string);
    });
    return { child, claimed };
  }

  it("finishes a task whose worker was SIGKILLed mid-job on another worker, each face once", async () => {
    const { tasks, queue } = worker("killed");
    const task = await tasks.create(newTask());
    await queue.enqueue(task.id);
    const doomed = spawnChild("killed", true);
    await until(async () => (await tasks.faces(task.id)).length === 1);
    expect(doomed.claimed).toEqual([task.id]);
    doomed.child.kill("SIGKILL");

    queue.start(
      claimedRunHandler(
        { tasks, worker: "test:survivor", leaseMs: 2000, maxAttempts: 3 },
        seamWorkerRun(tasks),
      ),
    );
    await until(async () => (await tasks.get(task.id))?.status === "complete");
    expect((await tasks.faces(task.id)).map((face) => face.index)).toEqual([0, 1]);
    const { rows } = await pool.query("SELECT attempt FROM tasks WHERE id = $1", [task.id]);
    expect(rows[0].attempt).toBe(2);
  });

  it("ends a task in error when every worker that takes it dies", async () => {
    const { tasks, queue } = worker("doomed");
    const task = await tasks.create(newTask());
    await queue.enqueue(task.id);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const doomed = spawnChild("doomed", true);
      await until(async () => doomed.claimed.length === 1);
      doomed.child.kill("SIGKILL");
    }
    // The survivor's claim finds three lapsed attempts: the task ends, with the reason, instead of running again.
    queue.start(
      claimedRunHandler(
        { tasks, worker: "test:survivor", leaseMs: 2000, maxAttempts: 3 },
        seamWorkerRun(tasks),
      ),
    );
    await until(async () => (await tasks.get(task.id))?.status === "error");
    expect((await tasks.get(task.id))?.error).toMatch(/stopped before finishing 3 times/);
  });

  it("on SIGTERM, a worker finishes the job it holds before it exits", async () => {
    const { tasks, queue } = worker("drained");
    const task = await tasks.create(newTask());
    const child = spawnChild("drained", false, 1500);
    await queue.enqueue(task.id);
    await until(async () => (await tasks.faces(task.id)).length === 1);
    child.child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.child.once("exit", resolve));
    expect(code).toBe(0);
    // No other worker runs in this test: the stopping one finished the task itself.
    expect(await tasks.get(task.id)).toMatchObject({ status: "complete" });
    expect((await tasks.faces(task.id)).map((face) => face.index)).toEqual([0, 1]);
    expect(child.claimed).toEqual([task.id]);
  });

  it("puts every queued task back in the queue after Redis lost its data", async () => {
    const { tasks, queue } = worker("flushed");
    const created = await Promise.all(Array.from({ length: 8 }, () => tasks.create(newTask())));
    for (const task of created) await queue.enqueue(task.id);
    // Redis restarted without its data: this queue's keys are gone, the tasks still queued in the database.
    const redis = new Redis(env("REDIS_URL"));
    const keys = await redis.keys(`${prefix}:flushed:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    redis.disconnect();
    expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, running: 0 });

    const stop = startRequeueSweeper({ tasks, queue, lock: postgresClusterLock(pool) }, 60_000);
    queue.start(
      claimedRunHandler(
        { tasks, worker: "test:after-flush", leaseMs: 2000, maxAttempts: 3 },
        seamWorkerRun(tasks),
      ),
    );
    await until(async () => {
      const states = await Promise.all(created.map((task) => tasks.get(task.id)));
      return states.every((task) => task?.status === "complete");
    });
    stop();
    for (const task of created)
      expect((await tasks.faces(task.id)).map((face) => face.index)).toEqual([0, 1]);
    // Sweeping again finds nothing to do: the tasks are finished.
    expect(await requeueStranded(tasks, queue)).toBe(0);
  });
});
