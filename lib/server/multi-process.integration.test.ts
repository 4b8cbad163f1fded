import { readFile } from "node:fs/promises";
import os from "node:os";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MagicHourClientClass, MagicHourSdk } from "../../test/support/magic-hour-sdk";
import type { RunningServer } from "../../test/support/next-server";
import { scratchDatabase } from "../../test/support/postgres-scratch";
import { servicesReady, uniqueName } from "../../test/support/scale-out-services";
import { waitForTerminal } from "../../test/support/wait-for-terminal";
import { startWeb } from "../../test/support/web-cluster";
import {
  type ClusterSettings,
  flushPrefix,
  startWorker,
  type WorkerChild,
} from "../../test/support/worker-cluster";
import { aboveConfidence, createFaceEngine, type FaceEngine } from "../engine/face-engine";
import { packageFile } from "../engine/models/package-file";
import { openPostgres, type PgPool } from "./repository/postgres";
import { postgresTaskRepository } from "./repository/postgres-task-repository";

const ready = servicesReady(
  "Multi-process cluster (two web instances, two workers)",
  "DATABASE_URL",
  "REDIS_URL",
  "S3_BUCKET",
);
const photo = (name: string) => packageFile("@vladmandic/face-api", `demo/${name}`);
const SAMPLES = ["sample1.jpg", "sample2.jpg", "sample3.jpg", "sample4.jpg", "sample5.jpg", "sample6.jpg"];
/** Two API keys, so the photos come from two clients (two lanes of the fair queue) as well as two instances. */
const KEYS = ["mh_cluster_test_key_one_2b7e151628aed2a6", "mh_cluster_test_key_two_7e151628aed2a6ab"];
const CONFIDENCE = 0.5;

type Sdk = InstanceType<MagicHourClientClass>;

/** Wait for a state the system under test must reach; the test's own timeout bounds it. */
async function until(check: () => Promise<boolean>, everyMs = 200) {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}

describe.runIf(ready)("Two web instances and two workers on PostgreSQL, Redis and S3", () => {
  const webs: RunningServer[] = [];
  const workers: WorkerChild[] = [];
  let settings: ClusterSettings;
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: PgPool;
  let engine: FaceEngine;

  beforeAll(async () => {
    scratch = await scratchDatabase();
    settings = { databaseUrl: scratch.url, redisPrefix: uniqueName("facefinder_cluster") };
    pool = await openPostgres(scratch.url, { max: 2 });
    engine = createFaceEngine();
  });
  afterAll(async () => {
    for (const worker of workers) worker.process.kill("SIGKILL");
    await Promise.all(webs.map((web) => web.stop("SIGKILL")));
    await pool?.end();
    await engine?.close();
    await scratch?.drop();
    // Only this run's keys: the loopback Redis is shared with other test runs.
    if (settings) await flushPrefix(settings.redisPrefix);
  });
  beforeEach((context) => {
    context.onTestFailed(() => {
      for (const worker of workers)
        console.log(`--- worker ${worker.name}:\n${worker.output().slice(-5000)}`);
      for (const web of webs) console.log(`--- web ${web.origin}:\n${web.output().slice(-5000)}`);
    });
  });

  const row = async (id: string) =>
    (
      await pool.query<{ status: string; worker: string | null; attempt: number }>(
        "SELECT status, worker, attempt FROM tasks WHERE id = $1",
        [id],
      )
    ).rows[0];

  /** Upload through one instance (its signed URL and PUT), create the task through the other. */
  async function submit(bytes: Buffer, uploadVia: Sdk, createVia: Sdk): Promise<string> {
    const { items } = await uploadVia.v1.files.uploadUrls.create({
      items: [{ type: "image", extension: "jpg" }],
    });
    const slot = items[0];
    if (!slot) throw new Error("upload-urls answered no slot");
    const put = await fetch(slot.uploadUrl, { method: "PUT", body: new Uint8Array(bytes) });
    expect(put.status, await put.clone().text()).toBe(200);
    const created = await createVia.v1.faceDetection.create({
      assets: { targetFilePath: slot.filePath },
      confidenceScore: CONFIDENCE,
    });
    return created.id;
  }

  it("30 photos through Magic Hour's SDK on both instances: a worker SIGKILLed mid-job, Redis losing the deployment's keys and a web instance killed; every task completes with its faces, once", async () => {
    const started = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const [web0, web1, worker0, worker1] = await Promise.all([
      startWeb(settings, { API_KEYS: KEYS.join(",") }),
      startWeb(settings, { API_KEYS: KEYS.join(",") }),
      startWorker(settings),
      startWorker(settings),
    ]);
    webs.push(web0, web1);
    workers.push(worker0, worker1);
    phase("cluster up");
    // sdk[key][instance]: a key's tasks are visible to that key only, through any instance.
    const sdk = KEYS.map((token) => webs.map((web) => new MagicHourSdk({ token, baseUrl: web.origin })));
    const client = (key: number, instance: number) => sdk[key]?.[instance] as Sdk;

    // A 6000-px photo keeps its worker busy for seconds: long enough to SIGKILL it while it holds the job.
    const large = await sharp(await readFile(photo("sample1.jpg")))
      .resize({ width: 6000 })
      .jpeg()
      .toBuffer();
    const doomedTask = await submit(large, client(0, 0), client(0, 1));
    await until(async () => {
      const state = await row(doomedTask);
      return state?.status === "rendering" && state.worker !== null;
    }, 20);
    const holder = (await row(doomedTask))?.worker;
    const doomed = workers.find((worker) => worker.name === holder);
    expect(doomed, `the holder ${holder} is one of the workers`).toBeDefined();
    doomed?.process.kill("SIGKILL");
    await doomed?.exited;
    phase("worker killed");
    // A supervisor starts a new worker in its place; the killed job is still the survivor's or the newcomer's to
    // take over once its lock and lease lapse. (On 2 shared cores, it also keeps the run within a few minutes.)
    const replacement = startWorker(settings).then((worker) => {
      workers.push(worker);
      return worker;
    });

    // 30 photos, two keys, uploaded through one instance and created through the other, in turn.
    const photos: Array<{ id: string; sample: string; key: number }> = [];
    for (let i = 0; i < 30; i++) {
      const sample = SAMPLES[i % SAMPLES.length] as string;
      const key = i % 2;
      const id = await submit(await readFile(photo(sample)), client(key, i % 2), client(key, (i + 1) % 2));
      photos.push({ id, sample, key });
    }

    // Mid-run, Redis loses every key of this deployment (jobs, lanes, counters); PostgreSQL still holds the tasks.
    const completed = async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            "SELECT count(*) AS n FROM tasks WHERE status = 'complete' AND id = ANY($1)",
            [photos.map((p) => p.id)],
          )
        ).rows[0]?.n,
      );
    phase("30 submitted");
    await replacement;
    await until(async () => (await completed()) >= 3);
    expect(await flushPrefix(settings.redisPrefix)).toBeGreaterThan(0);
    phase("Redis keys deleted");

    // One web instance dies; the polls go on through the other, which answers for every task of either key.
    await web0.stop("SIGKILL");
    webs.splice(webs.indexOf(web0), 1); // gone: nothing to stop at the end
    const survivor = (key: number) => client(key, 1);
    const all = [{ id: doomedTask, key: 0 }, ...photos];
    const results = new Map<string, Awaited<ReturnType<Sdk["v1"]["faceDetection"]["get"]>>>();
    for (const { id, key } of all) {
      const task = await waitForTerminal(() => survivor(key).v1.faceDetection.get({ id }), {
        everyMs: 1000,
        deadlineMs: 600_000,
      });
      expect(task.status, `task ${id}`).toBe("complete");
      results.set(id, task);
    }
    phase("all complete");

    // What the engine finds in each photo is what each task has: the same number of faces, each once.
    const expected = new Map<string, number>();
    for (const sample of SAMPLES) {
      const detection = await engine.detectImage(await readFile(photo(sample)), { crops: false });
      expected.set(sample, aboveConfidence(detection.faces, CONFIDENCE).length);
    }
    const tasks = postgresTaskRepository(pool);
    for (const { id, sample } of photos) {
      const faces = results.get(id)?.faces ?? [];
      expect(faces.length, `${sample} (task ${id})`).toBe(expected.get(sample));
      expect(new Set(faces.map((face) => face.path)).size).toBe(faces.length);
      const recorded = await tasks.faces(id, 0);
      const keys = recorded.map((face) => `${face.frame}-${face.index}`);
      expect(new Set(keys).size, `faces of ${id} recorded once`).toBe(keys.length);
    }
    // A crop of each task is served by the surviving instance (from the bucket).
    for (const { id } of photos) {
      const face = results.get(id)?.faces[0];
      if (!face) continue;
      const crop = await fetch(face.url.replace(web0.origin, web1.origin));
      expect(crop.status).toBe(200);
      expect(crop.headers.get("content-type")).toBe("image/png");
    }

    // The killed worker's task was taken over by a second attempt and has the faces of the whole photo, once.
    expect((await row(doomedTask))?.attempt).toBeGreaterThanOrEqual(2);
    const largeFaces = aboveConfidence((await engine.detectImage(large, { crops: false })).faces, CONFIDENCE);
    expect(results.get(doomedTask)?.faces.length).toBe(largeFaces.length);

    console.log(`[multi-process] ${phases.join(", ")}; load average ${os.loadavg()[0]?.toFixed(1)}`);
  }, 300_000);
});
