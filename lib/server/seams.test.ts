import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDatabase } from "../../test/support/postgres-scratch";
import { env, servicesReady, uniqueName } from "../../test/support/scale-out-services";
import { type Deployment, parseDeployment } from "./deployment";
import { newTask, OPTIONS } from "./repository/repository-contract";
import { openSeams, type Seams } from "./seams";

const QUEUE = { concurrency: 1, attempts: 2, backoffMs: 10, exhausted: async () => {} };

/** One pass through every seam: what the server context will do with them. */
async function exercise(seams: Seams) {
  const task = await seams.tasks.create(newTask());
  const runs: string[] = [];
  seams.queue.start(async (taskId) => {
    const result = await seams.tasks.claim(taskId, { ...OPTIONS, worker: seams.worker });
    if (!result.claimed) return undefined;
    await seams.blobs.put(`api-assets/${taskId}/0-0.png`, Buffer.from("crop"));
    await seams.tasks.addFace(result.claim, {
      frame: 0,
      index: 0,
      path: `api-assets/${taskId}/0-0.png`,
      score: 0.9,
      box: { x: 0, y: 0, width: 1, height: 1 },
      landmarks: [],
    });
    await seams.tasks.complete(result.claim, { width: 1, height: 1 });
    runs.push(taskId);
    return undefined;
  });
  await seams.queue.enqueue(task.id);
  await seams.queue.idle();
  expect(runs).toEqual([task.id]);
  expect((await seams.tasks.get(task.id))?.status).toBe("complete");
  const crop = await seams.blobs.get(`api-assets/${task.id}/0-0.png`);
  expect(await text(crop?.stream as Readable)).toBe("crop");
  expect((await seams.rateLimits.hit("owner", 60_000)).count).toBe(1);
  expect(await seams.lock.runExclusive("retention", async () => "swept")).toBe("swept");
  expect((await seams.settings.secret("upload_signing_key")).length).toBe(32);
  for (const [name, check] of Object.entries(seams.checks))
    await expect(check(), name).resolves.toBeUndefined();
  expect(Object.keys(seams.checks).sort()).toEqual(["database", "queue", "storage"]);
}

describe("openSeams, embedded", () => {
  it("works with nothing set up: SQLite and files under DATA_DIR, in-process queue, memory counters", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "facefinder-seams-"));
    const seams = await openSeams(parseDeployment({}), { dataDir, queue: QUEUE });
    try {
      await exercise(seams);
    } finally {
      await seams.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

const ready = servicesReady("openSeams, scale-out", "DATABASE_URL", "REDIS_URL", "S3_BUCKET");

describe.runIf(ready)("openSeams, scale-out", () => {
  const prefix = uniqueName("facefinder_test");
  const bucket = `facefinder-seams-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  let scratch: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
  afterAll(async () => {
    await scratch?.drop();
    const redis = new Redis(env("REDIS_URL"));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    const s3 = parseDeployment({
      ...process.env,
      PROCESS_ROLE: "all",
      DATABASE_URL: "",
      REDIS_URL: "",
    }).blobs;
    if (s3.kind !== "s3") return;
    const client = new S3Client({ ...s3, requestChecksumCalculation: "WHEN_REQUIRED" });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => null);
    for (const object of listed?.Contents ?? [])
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
    await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
    client.destroy();
  });

  function deployment(databaseUrl: string): Deployment {
    return parseDeployment({
      ...process.env,
      DATABASE_URL: databaseUrl,
      S3_BUCKET: bucket,
      PROCESS_ROLE: "all",
    });
  }

  it("puts tasks in PostgreSQL, jobs and counters in Redis and files in the bucket", async () => {
    scratch = await scratchDatabase();
    const d = deployment(scratch.url);
    expect([d.database.kind, d.queue.kind, d.blobs.kind]).toEqual(["postgres", "redis", "s3"]);
    const seams = await openSeams(d, { dataDir: "/nonexistent", queue: QUEUE, redisPrefix: prefix });
    try {
      await exercise(seams);
    } finally {
      await seams.close();
    }
  });

  it("fails to start, naming the cause, when a service can't be reached", async () => {
    const unreachable = "postgres://postgres@127.0.0.1:1/none";
    await expect(
      openSeams(deployment(unreachable), { dataDir: "/nonexistent", queue: QUEUE, redisPrefix: prefix }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
