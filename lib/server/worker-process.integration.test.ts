import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeMagicHour } from "../../test/support/fake-magic-hour";
import { scratchDatabase } from "../../test/support/postgres-scratch";
import { servicesReady, uniqueName } from "../../test/support/scale-out-services";
import {
  type ClusterSettings,
  flushPrefix,
  openProducer,
  startWorker,
  submitPhoto,
  type WorkerChild,
} from "../../test/support/worker-cluster";
import { createFaceEngine, type FaceEngine } from "../engine/face-engine";
import { packageFile } from "../engine/models/package-file";
import { openPostgres, type PgPool } from "./repository/postgres";
import type { Seams } from "./seams";
import type { FaceRecord } from "./task-store";

const ready = servicesReady("Worker processes", "DATABASE_URL", "REDIS_URL", "S3_BUCKET");
const photo = (name: string) => packageFile("@vladmandic/face-api", `demo/${name}`);
const SAMPLES = ["sample1.jpg", "sample2.jpg", "sample3.jpg", "sample4.jpg", "sample5.jpg", "sample6.jpg"];

/** Wait for a state the system under test must reach; the test's own timeout bounds it. */
async function until(check: () => Promise<boolean>, everyMs = 100) {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}

const shape = (faces: FaceRecord[]) =>
  faces.map((face) => ({ frame: face.frame, index: face.index, score: face.score, box: face.box }));

describe.runIf(ready)("Worker processes (npm run worker) on PostgreSQL, Redis and S3", () => {
  const workers: WorkerChild[] = [];
  let settings: ClusterSettings;
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: PgPool;
  let producer: Seams;
  let engine: FaceEngine;

  beforeAll(async () => {
    scratch = await scratchDatabase();
    settings = { databaseUrl: scratch.url, redisPrefix: uniqueName("facefinder_workers") };
    producer = await openProducer(settings);
    pool = await openPostgres(scratch.url, { max: 2 });
    engine = createFaceEngine();
  });
  afterAll(async () => {
    for (const worker of workers) worker.process.kill("SIGKILL");
    await producer?.close();
    await pool?.end();
    await engine?.close();
    await scratch?.drop();
    if (settings) await flushPrefix(settings.redisPrefix);
  });

  beforeEach((context) => {
    // What the workers said is the first thing to read when a run here fails (or hangs until its timeout).
    context.onTestFailed(() => {
      for (const worker of workers)
        console.log(`--- worker ${worker.name}:\n${worker.output().slice(-6000)}`);
    });
  });

  const status = async (id: string) => (await producer.tasks.get(id))?.status;
  const holder = async (id: string) =>
    (await pool.query<{ worker: string | null }>("SELECT worker FROM tasks WHERE id = $1", [id])).rows[0]
      ?.worker;
  const attempt = async (id: string) =>
    (await pool.query<{ attempt: number }>("SELECT attempt FROM tasks WHERE id = $1", [id])).rows[0]?.attempt;

  it("survives a worker SIGKILLed mid-job and Redis losing its data: every task completes with the right faces, once", async () => {
    workers.push(await startWorker(settings), await startWorker(settings));
    // A large photo keeps its worker busy for seconds: long enough to be killed while it holds the job.
    const large = await sharp(await readFile(photo("sample1.jpg")))
      .resize({ width: 6000 })
      .jpeg()
      .toBuffer();
    const doomedTask = await submitPhoto(producer, large);
    await until(async () => (await status(doomedTask)) === "rendering" && Boolean(await holder(doomedTask)));
    const victimName = await holder(doomedTask);
    const doomed = workers.find((worker) => worker.name === victimName);
    expect(doomed, `the holder ${victimName} is one of the workers`).toBeDefined();
    doomed?.process.kill("SIGKILL");
    await doomed?.exited;

    // 30 photos (each sample five times) and a twin of the large one, while the survivor is alone.
    const twin = await submitPhoto(producer, large);
    const photos: Array<{ id: string; sample: string }> = [];
    for (let round = 0; round < 5; round++) {
      for (const sample of SAMPLES) {
        photos.push({ id: await submitPhoto(producer, await readFile(photo(sample))), sample });
      }
    }
    // Redis loses every job of this deployment mid-run; the database still holds the tasks as queued.
    await until(async () => (await status(photos[3]?.id ?? "")) === "complete");
    expect(await flushPrefix(settings.redisPrefix)).toBeGreaterThan(0);

    const all = [doomedTask, twin, ...photos.map((p) => p.id)];
    await until(async () => {
      const states = await Promise.all(all.map(status));
      return states.every((state) => state === "complete");
    }, 500);

    // The killed attempt was taken over (a second attempt), and its faces equal the uninterrupted twin's.
    expect(await attempt(doomedTask)).toBeGreaterThanOrEqual(2);
    const doomedFaces = await producer.tasks.faces(doomedTask, 0);
    expect(doomedFaces.length).toBeGreaterThan(0);
    expect(shape(doomedFaces)).toEqual(shape(await producer.tasks.faces(twin, 0)));

    // Every photo has the faces the engine finds in it, each face once, and every crop is in the bucket.
    const expected = new Map<string, number[]>();
    for (const sample of SAMPLES) {
      const result = await engine.detectImage(await readFile(photo(sample)), { crops: false });
      expected.set(
        sample,
        result.faces.map((face) => face.score),
      );
    }
    for (const { id, sample } of photos) {
      const faces = await producer.tasks.faces(id, 0);
      const keys = faces.map((face) => `${face.frame}-${face.index}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(faces.map((face) => face.score).sort()).toEqual([...(expected.get(sample) ?? [])].sort());
      for (const face of faces) expect(await producer.blobs.head(face.path)).not.toBeNull();
    }

    // The survivor's /metrics counted its jobs.
    const survivor = workers.find((worker) => worker !== doomed);
    const metrics = await (await fetch(`http://127.0.0.1:${survivor?.port}/metrics`)).text();
    expect(metrics).toMatch(/facefinder_job_duration_seconds_count\{[^}]*outcome="done"[^}]*\} [1-9]/);
    expect(metrics).toContain('role="worker"');
  }, 600_000);

  it("ends undecodable input in error at once, retries other failures then ends in error, and finishes the job it holds on SIGTERM", async () => {
    const worker = await startWorker(settings);
    workers.push(worker);
    const large = await sharp(await readFile(photo("sample2.jpg")))
      .resize({ width: 5000 })
      .jpeg()
      .toBuffer();
    // Only this worker is up now (the first test's survivor may still be: stop it, so the holder is known).
    for (const other of workers.filter((w) => w !== worker && w.process.exitCode === null)) {
      other.process.kill("SIGTERM");
      await other.exited;
    }
    const broken = await submitPhoto(producer, Buffer.from("these bytes are no image at all"));
    await until(async () => (await status(broken)) === "error");
    expect((await producer.tasks.get(broken))?.error).toMatch(/image/i);

    // A run that throws for a reason that isn't the input's (here: the input object vanished from the bucket) is
    // tried again with backoff, and ends in error with a plain reason once every try has failed.
    const vanished = await submitPhoto(producer, large, { enqueue: false });
    const inputKey = (await producer.tasks.get(vanished))?.inputKey ?? "";
    await producer.blobs.delete(inputKey);
    await producer.queue.enqueue(vanished);
    await until(async () => (await status(vanished)) === "error");
    expect((await producer.tasks.get(vanished))?.error).toBe("Face detection failed 3 times on this server");

    const held = await submitPhoto(producer, large);
    await until(async () => (await holder(held)) === worker.name);
    worker.process.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(await status(held)).toBe("complete");
    expect((await producer.tasks.faces(held, 0)).length).toBeGreaterThan(0);

    const health = await fetch(`http://127.0.0.1:${worker.port}/healthz`).catch(() => null);
    expect(health, "the worker's HTTP server closed with it").toBeNull();
  }, 300_000);

  it("polls Magic Hour one job at a time without holding the worker's only slot while it waits", async () => {
    const token = "mhk_live_fake_token_for_worker_tests";
    const fake = await startFakeMagicHour({ token });
    try {
      const worker = await startWorker(settings, {
        MAGIC_HOUR_API_TOKEN: token,
        MAGIC_HOUR_BASE_URL: fake.origin,
        DETECTION_CONCURRENCY: "1",
      });
      workers.push(worker);
      const bytes = await readFile(photo("sample3.jpg"));
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await submitPhoto(producer, bytes, { provider: "magic-hour" }));
      // With one slot, a worker that waited for Magic Hour inside a job would finish the first task before it
      // even created the second upstream.
      const progress = async () =>
        (
          await pool.query<{ created: string; complete: string }>(
            `SELECT count(*) FILTER (WHERE remote_id IS NOT NULL) AS created,
                    count(*) FILTER (WHERE status = 'complete') AS complete FROM tasks WHERE id = ANY($1)`,
            [ids],
          )
        ).rows[0];
      await until(async () => Number((await progress())?.created) === ids.length, 20);
      expect(Number((await progress())?.complete)).toBe(0);

      await until(async () => Number((await progress())?.complete) === ids.length);
      for (const id of ids) {
        const faces = await producer.tasks.faces(id);
        expect(faces.map((face) => face.index)).toEqual([0, 1, 2]);
        for (const face of faces) expect(await producer.blobs.head(face.path)).not.toBeNull();
      }
      expect(fake.requests.filter((r) => r.line.startsWith("POST /v1/face-detection")).length).toBe(3);
      const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      expect(metrics).toMatch(/facefinder_job_duration_seconds_count\{[^}]*outcome="later"[^}]*\} [1-9]/);
      worker.process.kill("SIGTERM");
      expect(await worker.exited).toBe(0);
    } finally {
      await fake.close();
    }
  }, 300_000);
});
