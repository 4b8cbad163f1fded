import "server-only";
import path from "node:path";
import { FaceEmbedder } from "../engine/face-embedding";
import { createFaceEngine, type FaceEngine } from "../engine/face-engine";
import { InferencePool } from "../engine/inference/inference-pool";
import type { BlobStore } from "./blobs/blob-store";
import { localBlobStore } from "./blobs/local-blob-store";
import { BodyGate } from "./body-stream";
import { parseConfig, type ServerConfig } from "./config";
import { type Db, openDatabase } from "./database";
import { DetectionQueue } from "./detection-queue";
import { detectionRunner } from "./detection-runner";
import { DiskSpace } from "./disk-space";
import { type FileStorage, localFileStorage } from "./file-storage";
import { errorFields, log } from "./log";
import { magicHourClient } from "./magic-hour/magic-hour-client";
import { RateLimiter } from "./rate-limit";
import { startRetention } from "./retention";
import { localRunner } from "./runners/local-runner";
import { magicHourRunner } from "./runners/magic-hour-runner";
import { type HealthReport, healthCheck } from "./storage-health";
import { MAX_TASK_ATTEMPTS, TaskRecorder } from "./task-recorder";
import { sqliteTaskStore, type TaskStore } from "./task-store";
import { type UploadSigner, uploadSigner } from "./upload-signing";
import { sqliteUploadStore, type UploadStore } from "./upload-store";

/** Everything a request handler needs, made once per process. */
export interface ServerContext {
  config: ServerConfig;
  db: Db;
  tasks: TaskStore;
  uploads: UploadStore;
  storage: FileStorage;
  /** The same files behind the blob-store seam (what /api-assets reads; S3 takes its place in scale-out). */
  blobs: BlobStore;
  signer: UploadSigner;
  engine: FaceEngine;
  queue: DetectionQueue;
  recorder: TaskRecorder;
  disk: DiskSpace;
  health: () => HealthReport;
  /** Creates and uploads: per API key, per address on the /v1 API, per address in the web app; reruns. */
  limits: {
    perKey: RateLimiter;
    apiPerAddress: RateLimiter;
    webPerAddress: RateLimiter;
    reruns: RateLimiter;
  };
  bodyGate: BodyGate;
  close(): Promise<void>;
}

export function createServerContext(config: ServerConfig): ServerContext {
  const db = openDatabase(path.join(config.dataDir, "facefinder.sqlite"));
  const tasks = sqliteTaskStore(db);
  const uploads = sqliteUploadStore(db);
  const storage = localFileStorage(path.join(config.dataDir, "files"));
  const disk = new DiskSpace(config.dataDir, config.minFreeDiskBytes);
  const engine = createFaceEngine({ maxPixels: config.maxImagePixels });
  // Embeddings (video) get their own single worker, so they never queue behind a photo's detection passes.
  const embeddingPool = new InferencePool({ workers: 1, threadsPerWorker: 1 });
  // The queue is made below: the recorder reaches it through this closure once it exists.
  const recorder = new TaskRecorder(tasks, storage, (taskId) => queue.enqueue(taskId));
  const runTask = detectionRunner(tasks, recorder, {
    local: localRunner({
      tasks,
      storage,
      engine,
      embedder: new FaceEmbedder(embeddingPool),
      maxVideoSeconds: config.maxVideoSeconds,
      maxDetectionMs: config.maxDetectionMs,
      maxVideoProcessingSeconds: config.maxVideoProcessingSeconds,
      maxPixels: config.maxImagePixels,
      maxDownloadBytes: config.maxUploadBytes,
      downloadTimeoutMs: config.urlDownloadTimeoutMs,
    }),
    "magic-hour": config.magicHour
      ? magicHourRunner({
          tasks,
          storage,
          magicHour: magicHourClient(config.magicHour),
          maxImagePixels: config.maxImagePixels,
        })
      : null,
  });
  const queue = new DetectionQueue(runTask, config.detectionConcurrency);
  const recover = () => {
    // Uploads cut off by the last process's death can be sent again (their half-written files go in the first
    // sweep).
    uploads.resetInterrupted();
    // Tasks that were queued or interrupted when the process last stopped start again now, up to an attempt limit.
    const recovered = tasks.recoverQueued(MAX_TASK_ATTEMPTS);
    for (const taskId of recovered.failed) {
      storage
        .removeOutputs(taskId, tasks.get(taskId)?.inputKey ?? null)
        .catch((error) => log("error", "task files not removed", { task_id: taskId, ...errorFields(error) }));
    }
    for (const taskId of recovered.queued) queue.enqueue(taskId, tasks.get(taskId)?.owner);
  };
  try {
    recover();
  } catch (error) {
    // A full disk at start-up: serve reads (health says degraded) and recover once the database takes writes.
    log("error", "start-up recovery failed; retrying every 2 s", errorFields(error));
    const retry = setInterval(() => {
      try {
        recover();
        clearInterval(retry);
      } catch {
        // still not writable
      }
    }, 2000);
    retry.unref();
  }
  const stopRetention = startRetention(
    { tasks, uploads, storage, retentionMs: config.retentionMs },
    config.retentionSweepMs,
  );
  return {
    config,
    db,
    tasks,
    uploads,
    storage,
    blobs: localBlobStore(storage),
    signer: uploadSigner(db),
    engine,
    queue,
    recorder,
    disk,
    health: healthCheck({ db, disk, recorder }),
    limits: {
      perKey: new RateLimiter("key", config.rateLimitPerKey),
      apiPerAddress: new RateLimiter("api-address", config.rateLimitPerAddress),
      webPerAddress: new RateLimiter("web-address", config.rateLimitWebPerAddress),
      reruns: new RateLimiter("rerun-address", config.rateLimitRerunsPerAddress),
    },
    bodyGate: new BodyGate(config.uploadsPerAddress, config.maxConcurrentUploads),
    async close() {
      stopRetention();
      recorder.stop();
      await queue.idle();
      await engine.close();
      await embeddingPool.close();
      db.close();
    },
  };
}

// Kept on globalThis so that Next's development reloads reuse one database handle and one set of workers.
const holder = globalThis as typeof globalThis & { __faceFinderContext?: ServerContext };

export function serverContext(): ServerContext {
  holder.__faceFinderContext ??= createServerContext(parseConfig(process.env));
  return holder.__faceFinderContext;
}
