import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseDeployment } from "../../lib/server/deployment";
import { openSeams, type Seams } from "../../lib/server/seams";
import { collectOutput } from "./child-output";
import { freePort } from "./next-server";
import { env } from "./scale-out-services";

const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * Worker processes (`npm run worker`, as deployed) and a producer beside them on the same PostgreSQL database,
 * Redis prefix and bucket, for the multi-process tests and `npm run bench:scale`.
 */
export interface ClusterSettings {
  databaseUrl: string;
  redisPrefix: string;
}

export interface WorkerChild {
  process: ChildProcess;
  port: number;
  /** Its name in claims (the `worker` column): host:pid. */
  name: string;
  output(): string;
  exited: Promise<number | null>;
}

export function clusterEnv(settings: ClusterSettings): Record<string, string> {
  return {
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: env("REDIS_URL"),
    REDIS_PREFIX: settings.redisPrefix,
    S3_ENDPOINT: env("S3_ENDPOINT"),
    S3_BUCKET: env("S3_BUCKET"),
    S3_ACCESS_KEY_ID: env("S3_ACCESS_KEY_ID"),
    S3_SECRET_ACCESS_KEY: env("S3_SECRET_ACCESS_KEY"),
  };
}

/** As `npm run worker` runs it: the condition lets `import "server-only"` load outside Next. */
const WORKER_ARGS = ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts"];

/** Starts `scripts/worker.ts` the way `npm run worker` does, and waits until its /healthz answers 200. */
export async function startWorker(
  settings: ClusterSettings,
  extra: Record<string, string> = {},
): Promise<WorkerChild> {
  const port = await freePort();
  const child = spawn(process.execPath, WORKER_ARGS, {
    cwd: ROOT,
    env: {
      ...process.env,
      ...clusterEnv(settings),
      PROCESS_ROLE: "worker",
      WORKER_PORT: String(port),
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "facefinder-worker-")),
      DETECTION_CONCURRENCY: "1",
      ...extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectOutput(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error(`The worker exited before answering /healthz:\n${output()}`);
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    if (answer?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { process: child, port, name: `${os.hostname()}:${child.pid}`, output, exited };
}

/** The producer's side of the seams (what a web instance does on a create): tasks, input files, jobs. */
export async function openProducer(settings: ClusterSettings): Promise<Seams> {
  const deployment = parseDeployment({ ...clusterEnv(settings), PROCESS_ROLE: "web" });
  return openSeams(deployment, {
    dataDir: mkdtempSync(path.join(os.tmpdir(), "facefinder-producer-")),
    redisPrefix: settings.redisPrefix,
    queue: { concurrency: 1, attempts: 3, backoffMs: 1000, exhausted: async () => {} },
  });
}

/** A photo task as an API create makes it: the input in the bucket, the task queued, its job enqueued. */
export async function submitPhoto(
  seams: Seams,
  bytes: Buffer,
  options: { enqueue?: boolean; provider?: "local" | "magic-hour" } = {},
): Promise<string> {
  const upload = randomUUID().replaceAll("-", "");
  const inputKey = `api-assets/${upload}/input.jpg`;
  await seams.blobs.put(inputKey, bytes, { contentType: "image/jpeg" });
  const task = await seams.tasks.create({
    id: randomUUID().replaceAll("-", ""),
    owner: "cluster-test",
    source: inputKey,
    inputKey,
    kind: "image",
    confidence: 0.5,
    provider: options.provider ?? "local",
  });
  if (options.enqueue !== false) await seams.queue.enqueue(task.id);
  return task.id;
}

/** Every key under a Redis prefix removed: what Redis restarting without its data does to one deployment. */
export async function flushPrefix(prefix: string): Promise<number> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(env("REDIS_URL"));
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    return keys.length;
  } finally {
    redis.disconnect();
  }
}
