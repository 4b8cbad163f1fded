import "server-only";
import { hostname } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { BlobStore } from "./blobs/blob-store";
import { localBlobStore } from "./blobs/local-blob-store";
import { s3BlobStore } from "./blobs/s3-blob-store";
import { openDatabase } from "./database";
import type { Deployment } from "./deployment";
import { localFileStorage } from "./file-storage";
import type { DependencyCheck } from "./health";
import { bullmqJobQueue } from "./jobs/bullmq-job-queue";
import { inProcessJobQueue } from "./jobs/in-process-job-queue";
import type { JobQueue, JobQueueOptions } from "./jobs/job-queue";
import { memoryRateLimitStore, type RateLimitStore } from "./limits/rate-limit-store";
import { redisRateLimitStore } from "./limits/redis-rate-limit-store";
import { localClusterLock, postgresClusterLock } from "./repository/cluster-lock";
import { openPostgres } from "./repository/postgres";
import { postgresTaskRepository } from "./repository/postgres-task-repository";
import { postgresSharedSettings, postgresUploadRepository } from "./repository/postgres-upload-repository";
import {
  sqliteSharedSettings,
  sqliteTaskRepository,
  sqliteUploadRepository,
} from "./repository/sqlite-repositories";
import type {
  ClusterLock,
  SharedSettings,
  TaskRepository,
  UploadRepository,
} from "./repository/task-repository";
import { sqliteTaskStore } from "./task-store";
import { sqliteUploadStore } from "./upload-store";

/** The shared state of one process, embedded or scale-out, chosen once from the deployment settings. */
export interface Seams {
  tasks: TaskRepository;
  uploads: UploadRepository;
  settings: SharedSettings;
  blobs: BlobStore;
  queue: JobQueue;
  rateLimits: RateLimitStore;
  lock: ClusterLock;
  /** This process's name in claims and logs. */
  worker: string;
  /** One check per dependency, for the health endpoints. */
  checks: Record<string, DependencyCheck>;
  close(): Promise<void>;
}

export interface SeamOptions {
  dataDir: string;
  queue: JobQueueOptions;
  /** Redis key prefix (BullMQ's and the counters'); tests use one per run. */
  redisPrefix?: string;
}

export async function openSeams(deployment: Deployment, options: SeamOptions): Promise<Seams> {
  const closers: Array<() => Promise<void> | void> = [];
  try {
    return await open(deployment, options, closers);
  } catch (error) {
    // A process that can't reach one service must not keep connections to the others open.
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    throw error;
  }
}

async function open(
  deployment: Deployment,
  options: SeamOptions,
  closers: Array<() => Promise<void> | void>,
): Promise<Seams> {
  const checks: Record<string, DependencyCheck> = {};
  const prefix = options.redisPrefix ?? "facefinder";

  let tasks: TaskRepository;
  let uploads: UploadRepository;
  let settings: SharedSettings;
  let lock: ClusterLock;
  if (deployment.database.kind === "postgres") {
    const pool = await openPostgres(deployment.database.url);
    closers.push(() => pool.end());
    tasks = postgresTaskRepository(pool);
    uploads = postgresUploadRepository(pool);
    settings = postgresSharedSettings(pool);
    lock = postgresClusterLock(pool);
    checks.database = async () => {
      await pool.query("SELECT 1");
    };
  } else {
    const db = openDatabase(path.join(options.dataDir, "facefinder.sqlite"));
    closers.push(() => {
      db.close();
    });
    tasks = sqliteTaskRepository(sqliteTaskStore(db), db);
    uploads = sqliteUploadRepository(sqliteUploadStore(db));
    settings = sqliteSharedSettings(db);
    lock = localClusterLock();
    checks.database = async () => {
      db.prepare("SELECT 1").get();
    };
  }

  let blobs: BlobStore;
  if (deployment.blobs.kind === "s3") {
    const store = await s3BlobStore(deployment.blobs);
    closers.push(() => store.client.destroy());
    blobs = store;
  } else {
    blobs = localBlobStore(localFileStorage(path.join(options.dataDir, "files")));
  }
  checks.storage = () => blobs.check();

  let queue: JobQueue;
  let rateLimits: RateLimitStore;
  if (deployment.queue.kind === "redis") {
    queue = bullmqJobQueue({ ...options.queue, url: deployment.queue.url, prefix });
    closers.push(() => queue.close());
    // Rate-limit checks sit on the request path: fail fast rather than queue commands while Redis is away.
    const counters = new Redis(deployment.queue.url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    counters.on("error", (error) => console.error("[limits] Redis:", error.message));
    closers.push(() => counters.disconnect());
    await counters.connect();
    rateLimits = redisRateLimitStore(counters, prefix);
  } else {
    queue = inProcessJobQueue(options.queue);
    closers.push(() => queue.close());
    rateLimits = memoryRateLimitStore();
  }
  checks.queue = () => queue.check();

  return {
    tasks,
    uploads,
    settings,
    blobs,
    queue,
    rateLimits,
    lock,
    worker: `${hostname()}:${process.pid}`,
    checks,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
