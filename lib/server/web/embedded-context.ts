import "server-only";
import path from "node:path";
import { FaceEmbedder } from "../../engine/face-embedding";
import { createFaceEngine } from "../../engine/face-engine";
import { InferencePool } from "../../engine/inference/inference-pool";
import { localBlobStore } from "../blobs/local-blob-store";
import { BodyGate } from "../body-stream";
import type { ServerConfig } from "../config";
import type { ServerContext } from "../context";
import { openDatabase } from "../database";
import type { Deployment } from "../deployment";
import { DetectionQueue } from "../detection-queue";
import { DiskSpace } from "../disk-space";
import { localFileStorage } from "../file-storage";
import { observeHttpWith } from "../http-observer";
import { memoryRateLimitStore } from "../limits/rate-limit-store";
import { errorFields, log } from "../log";
import { magicHourClient } from "../magic-hour/magic-hour-client";
import { createMetrics } from "../metrics";
import { dispatchToProvider } from "../providers/dispatch";
import { localRunner } from "../providers/local-runner";
import { magicHourRunner } from "../providers/magic-hour-runner";
import {
  sqliteSharedSettings,
  sqliteTaskRepository,
  sqliteUploadRepository,
} from "../repository/sqlite-repositories";
import { startRetention } from "../retention";
import { healthCheck } from "../storage-health";
import { MAX_TASK_ATTEMPTS, TaskRecorder } from "../task-recorder";
import { sqliteTaskStore } from "../task-store";
import { UPLOAD_SIGNING_KEY, uploadSigner } from "../upload-signing";
import { sqliteUploadStore } from "../upload-store";
import { rateLimiters } from "./rate-limiters";
import { webHealth } from "./web-health";

/**
 * The embedded server (`npm start` with nothing shared): SQLite, files under DATA_DIR, detections in this process
 * through the fair per-client queue, rate-limit counters in memory. Handlers see it through the same seams as the
 * shared deployment; the detection side keeps what one process can do that a cluster can't (per-client lanes, the
 * recorder that retries task states a full disk refused, start-up recovery of interrupted tasks).
 */
export async function createEmbeddedContext(
  config: ServerConfig,
  deployment: Deployment,
): Promise<ServerContext> {
  const db = openDatabase(path.join(config.dataDir, "facefinder.sqlite"));
  const taskStore = sqliteTaskStore(db);
  const uploadStore = sqliteUploadStore(db);
  const storage = localFileStorage(path.join(config.dataDir, "files"));
  const disk = new DiskSpace(config.dataDir, config.minFreeDiskBytes);
  const engine = createFaceEngine({ maxPixels: config.maxImagePixels });
  // Embeddings (video) get their own single worker, so they never queue behind a photo's detection passes.
  const embeddingPool = new InferencePool({ workers: 1, threadsPerWorker: 1 });
  // The queue is made below: the recorder reaches it through this closure once it exists.
  const recorder = new TaskRecorder(taskStore, storage, (taskId) => queue.enqueue(taskId));
  const runTask = dispatchToProvider(taskStore, recorder, {
    local: localRunner({
      tasks: taskStore,
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
          tasks: taskStore,
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
    uploadStore.resetInterrupted();
    // Tasks that were queued or interrupted when the process last stopped start again now, up to an attempt limit.
    const recovered = taskStore.recoverQueued(MAX_TASK_ATTEMPTS);
    for (const taskId of recovered.failed) {
      storage
        .removeOutputs(taskId, taskStore.get(taskId)?.inputKey ?? null)
        .catch((error) => log("error", "task files not removed", { task_id: taskId, ...errorFields(error) }));
    }
    for (const taskId of recovered.queued) queue.enqueue(taskId, taskStore.get(taskId)?.owner);
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
    { tasks: taskStore, uploads: uploadStore, storage, retentionMs: config.retentionMs },
    config.retentionSweepMs,
  );
  const settings = sqliteSharedSettings(db);
  const state = healthCheck({ db, disk, recorder });
  const metrics = createMetrics(deployment.role, { counts: async () => queue.counts() });
  observeHttpWith(metrics);
  const readDb = db.prepare("SELECT 1");
  return {
    config,
    deployment,
    tasks: sqliteTaskRepository(taskStore, db),
    uploads: sqliteUploadRepository(uploadStore),
    blobs: localBlobStore(storage),
    signer: uploadSigner(await settings.secret(UPLOAD_SIGNING_KEY)),
    detections: {
      async enqueue(taskId, lane) {
        queue.enqueue(taskId, lane);
      },
      pending: async (lane) => queue.pending(lane),
    },
    disk,
    health: () =>
      webHealth(
        {
          database: async () => {
            readDb.get();
          },
          queue: async () => {},
          storage: async () => {
            disk.freeBytes();
          },
        },
        () => state().reasons ?? [],
      ),
    metrics,
    limits: rateLimiters(config, memoryRateLimitStore()),
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
