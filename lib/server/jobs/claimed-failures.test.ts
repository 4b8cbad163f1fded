import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDatabase } from "../../../test/support/postgres-scratch";
import { servicesReady, uniqueName } from "../../../test/support/scale-out-services";
import { FaceEmbedder } from "../../engine/face-embedding";
import { createFaceEngine, type FaceEngine } from "../../engine/face-engine";
import { InferencePool } from "../../engine/inference/inference-pool";
import { packageFile } from "../../engine/models/package-file";
import { localBlobStore } from "../blobs/local-blob-store";
import { localFileStorage } from "../file-storage";
import { dispatchClaimedToProvider } from "../providers/claimed-dispatch";
import { claimedLocalRunner } from "../providers/claimed-local-runner";
import { openPostgres, type PgPool } from "../repository/postgres";
import { postgresTaskRepository } from "../repository/postgres-task-repository";
import { newTask } from "../repository/repository-contract";
import type { Claim, TaskRepository } from "../repository/task-repository";
import { RAN_OUT_OF_STORAGE_MESSAGE } from "../storage-full";
import { ClaimedFailureRecorder } from "./claimed-failure-recorder";
import { claimedRunHandler } from "./claimed-run";

const ready = servicesReady("Worker task writes on a database that takes none", "DATABASE_URL");
const CLAIM = { worker: "test:1", leaseMs: 60_000, maxAttempts: 3 };

/**
 * The worker's task writes when PostgreSQL takes none: a read-only session refuses every write for real (as a full
 * database does, with another SQLSTATE), and a tablespace on a full tmpfs gives PostgreSQL's own disk_full.
 */
describe.runIf(ready)("Worker task writes when the database can't take them", () => {
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  /** One connection: put in read-only mode, every write through `tasks` fails. */
  let single: PgPool;
  let tasks: TaskRepository;
  /** Another connection, always writable: what the rest of the cluster sees. */
  let observer: TaskRepository;
  let observerPool: PgPool;

  beforeAll(async () => {
    scratch = await scratchDatabase();
    single = await openPostgres(scratch.url, { max: 1 });
    observerPool = await openPostgres(scratch.url, { max: 2 });
    // Opened while the database is read-only by default, an observer's connection still writes.
    observerPool.on("connect", (client) => {
      client.query("SET default_transaction_read_only = off").catch(() => {});
    });
    tasks = postgresTaskRepository(single);
    observer = postgresTaskRepository(observerPool);
  });
  afterAll(async () => {
    await single?.end();
    await observerPool?.end();
    await scratch?.drop();
  });

  /**
   * Every write through `tasks` refused, or taken again: the session's setting, and the database's for a connection
   * the pool opens in its place (it drops one whose transaction failed).
   */
  async function readOnly(on: boolean) {
    const name = new URL(scratch.url).pathname.slice(1);
    await observerPool.query(
      on
        ? `ALTER DATABASE ${name} SET default_transaction_read_only = on`
        : `ALTER DATABASE ${name} RESET default_transaction_read_only`,
    );
    await single.query(`SET default_transaction_read_only = ${on ? "on" : "off"}`);
  }

  async function claimed(): Promise<Claim> {
    const task = await observer.create(newTask());
    const result = await tasks.claim(task.id, CLAIM);
    if (!result.claimed) throw new Error("not claimed");
    return result.claim;
  }

  it("keeps a failure the database refused and writes it once the database takes writes again", async () => {
    const recorder = new ClaimedFailureRecorder(tasks, 60_000);
    const claim = await claimed();
    await readOnly(true);
    try {
      await recorder.fail(claim, RAN_OUT_OF_STORAGE_MESSAGE);
      expect(recorder.waiting).toBe(1);
      await recorder.retry();
      expect(recorder.waiting).toBe(1);
      expect((await observer.get(claim.taskId))?.status).toBe("rendering");
    } finally {
      await readOnly(false);
    }
    await recorder.retry();
    expect(recorder.waiting).toBe(0);
    expect(await observer.get(claim.taskId)).toMatchObject({
      status: "error",
      error: RAN_OUT_OF_STORAGE_MESSAGE,
    });
    recorder.stop();
  });

  it("drops a kept failure once another attempt has taken the task over", async () => {
    const recorder = new ClaimedFailureRecorder(tasks, 60_000);
    const task = await observer.create(newTask());
    const first = await tasks.claim(task.id, { ...CLAIM, leaseMs: 50 });
    if (!first.claimed) throw new Error("not claimed");
    await readOnly(true);
    await recorder.fail(first.claim, "first attempt's failure").finally(() => readOnly(false));
    expect(recorder.waiting).toBe(1);
    // The first attempt's lease lapses (its worker kept the failure but renewed nothing); another worker claims.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await observer.claim(task.id, CLAIM);
    expect(second.claimed && second.claim.attempt).toBe(2);
    await recorder.retry();
    expect(recorder.waiting).toBe(0);
    expect((await observer.get(task.id))?.status).toBe("rendering");
  });

  it("does not start a task whose claim can't be written: the job comes back later, and no try is counted", async () => {
    const task = await observer.create(newTask());
    const before = (await observer.get(task.id))?.attempts;
    const runs: string[] = [];
    const handler = claimedRunHandler(
      { tasks, worker: "test:1", leaseMs: 60_000, maxAttempts: 3 },
      async (claim) => {
        runs.push(claim.taskId);
        await tasks.complete(claim, { width: 1, height: 1 });
        return undefined;
      },
    );
    await readOnly(true);
    const outcome = await handler(task.id, { attempt: 1 }).finally(() => readOnly(false));
    expect(outcome).toEqual({ againInMs: expect.any(Number) });
    expect(runs).toEqual([]);
    expect(await observer.get(task.id)).toMatchObject({ status: "queued", attempts: before });
    expect(await handler(task.id, { attempt: 1 })).toBeUndefined();
    expect(await observer.get(task.id)).toMatchObject({ status: "complete" });
  });
});

/**
 * A real full disk under PostgreSQL: the faces table moved to a tablespace on a small tmpfs, then the tmpfs filled.
 * Needs root (mount) and the PostgreSQL server on this host (CI has both); skipped elsewhere with the reason.
 */
function fullDiskUnsupported(): string | null {
  if (!process.env.DATABASE_URL) return null; // the suite is skipped for that already
  if (process.getuid?.() !== 0) return "needs root to mount a tmpfs";
  const host = new URL(process.env.DATABASE_URL).hostname;
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) return "needs the PostgreSQL server on this host";
  try {
    execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
  } catch {
    return "needs the postgres system user (the server's own) on this host";
  }
  return null;
}
const fullDiskSkip = fullDiskUnsupported();
if (ready && fullDiskSkip) console.warn(`[skipped] the worker on a full PostgreSQL disk: ${fullDiskSkip}`);

describe.runIf(ready && !fullDiskSkip)("A worker's photo on a PostgreSQL whose disk is full", () => {
  let mountPoint = "";
  const tablespace = uniqueName("facefinder_full");
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: PgPool;
  let engine: FaceEngine;
  let inference: InferencePool;
  let mounted = false;

  beforeAll(async () => {
    mountPoint = mkdtempSync(path.join(os.tmpdir(), "facefinder-pgfull-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint]);
    mounted = true;
    mkdirSync(path.join(mountPoint, "pg"));
    execFileSync("chown", ["postgres:postgres", path.join(mountPoint, "pg")]);
    scratch = await scratchDatabase();
    pool = await openPostgres(scratch.url, { max: 2 });
    await pool.query(`CREATE TABLESPACE ${tablespace} LOCATION '${path.join(mountPoint, "pg")}'`);
    await pool.query(`ALTER TABLE faces SET TABLESPACE ${tablespace}`);
    engine = createFaceEngine();
    inference = new InferencePool({ workers: 1, threadsPerWorker: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await scratch?.drop();
    // The tablespace is the cluster's, not the scratch database's: dropped once that database (its only user) is.
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP TABLESPACE IF EXISTS ${tablespace}`);
    await admin.end();
    await engine?.close();
    await inference?.close();
    if (mounted) execFileSync("umount", [mountPoint]);
    if (mountPoint) rmSync(mountPoint, { recursive: true, force: true });
  });

  it("ends the task in error, 'ran out of storage space', without the crops it wrote", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "facefinder-pgfull-files-"));
    const blobs = localBlobStore(localFileStorage(dataDir));
    const tasks = postgresTaskRepository(pool);
    const inputKey = "api-assets/fulldiskinput/input.jpg";
    await blobs.put(inputKey, await readFile(packageFile("@vladmandic/face-api", "demo/sample4.jpg")));
    const task = await tasks.create(newTask({ source: inputKey, inputKey }));
    // Nothing left for PostgreSQL to extend the faces table into.
    try {
      writeFileSync(path.join(mountPoint, "filler"), Buffer.alloc(1024 * 1024));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }
    const run = dispatchClaimedToProvider(tasks, {
      local: claimedLocalRunner({
        tasks,
        blobs,
        engine,
        embedder: new FaceEmbedder(inference),
        maxDownloadBytes: 1e8,
        downloadTimeoutMs: 10_000,
        maxVideoSeconds: 60,
        maxDetectionMs: 60_000,
        maxVideoProcessingSeconds: 60,
        maxPixels: 1e8,
      }),
      "magic-hour": null,
    });
    const handler = claimedRunHandler({ tasks, worker: "test:1", leaseMs: 60_000, maxAttempts: 3 }, run);
    expect(await handler(task.id, { attempt: 1 })).toBeUndefined();
    expect(await tasks.get(task.id)).toMatchObject({ status: "error", error: RAN_OUT_OF_STORAGE_MESSAGE });
    // The crop written before its face could be recorded is gone; the input stays (another task may use it).
    const folder = path.join(dataDir, "api-assets", task.id);
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
    expect(await blobs.head(inputKey)).not.toBeNull();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
