import "server-only";
import { FaceEmbedder } from "../engine/face-embedding";
import { createFaceEngine } from "../engine/face-engine";
import { InferencePool } from "../engine/inference/inference-pool";
import { startClusterRetention } from "./cluster-retention";
import { parseConfig, type ServerConfig } from "./config";
import { type Deployment, parseDeployment } from "./deployment";
import { checkHealth } from "./health";
import { claimedRunHandler } from "./jobs/claimed-run";
import { startRequeueSweeper } from "./jobs/requeue-sweeper";
import { errorFields, log } from "./log";
import { magicHourClient } from "./magic-hour/magic-hour-client";
import { createMetrics, type Metrics } from "./metrics";
import { dispatchClaimedToProvider } from "./providers/claimed-dispatch";
import { claimedLocalRunner } from "./providers/claimed-local-runner";
import { claimedMagicHourRunner } from "./providers/claimed-magic-hour-runner";
import { openSeams, type SeamOptions, type Seams } from "./seams";
import { startWorkerHttp } from "./worker-http";

/**
 * How long a claim lasts unless renewed, and BullMQ's hold on a job: a worker killed mid-job loses its task about
 * this long after (plus the stalled-job check's interval), well within the minute the issue allows.
 */
export const LEASE_MS = 20_000;
/** Tries per task: a run that throws (not the input's fault) or a worker that dies holding it. */
export const MAX_ATTEMPTS = 3;
const BACKOFF_MS = 2_000;
/** The sweeper puts tasks the database holds as queued (Redis lost them) back in the queue this often. */
const SWEEP_MS = 15_000;

export interface WorkerProcess {
  /** The port of `/healthz` and `/metrics`. */
  port: number;
  /** SIGTERM: take no new jobs, finish the ones held, then let go of every connection. */
  stop(): Promise<void>;
}

/**
 * The worker role (`npm run worker`): takes detection jobs from the shared queue, `DETECTION_CONCURRENCY` at a
 * time, and serves no pages, only `/healthz` and `/metrics` on `WORKER_PORT`. Every job is a claim on its task
 * (see jobs/claimed-run.ts), so a job delivered twice, or taken over from a worker that died, finishes once.
 */
export async function startWorkerProcess(env: Record<string, string | undefined>): Promise<WorkerProcess> {
  const config = parseConfig(env);
  const deployment = parseDeployment({ PROCESS_ROLE: "worker", ...env });
  if (deployment.role === "web") throw new Error("PROCESS_ROLE=web runs no detections: start the web server");
  const seams = await openSeams(
    deployment,
    seamOptions(config, deployment, () => seams),
  );
  const metrics = createMetrics("worker", seams.queue);
  const detections = startDetections(seams, config, metrics);
  const http = await startWorkerHttp({
    port: deployment.workerPort,
    health: () => checkHealth(seams.checks),
    metrics,
  });
  log("info", "worker started", {
    worker: seams.worker,
    concurrency: config.detectionConcurrency,
    port: http.port,
  });
  let stopping: Promise<void> | null = null;
  return {
    port: http.port,
    stop() {
      stopping ??= (async () => {
        await detections.stop();
        await http.close();
        await seams.close();
      })();
      return stopping;
    },
  };
}

/**
 * How the seams are opened by a process that may run detections: the queue's concurrency, tries and backoff, and
 * what a job given up on every try does to its task. `seams` is read only once a job is given up, after opening.
 */
export function seamOptions(config: ServerConfig, deployment: Deployment, seams: () => Seams): SeamOptions {
  return {
    dataDir: config.dataDir,
    redisPrefix: deployment.redisPrefix,
    queue: {
      concurrency: config.detectionConcurrency,
      attempts: MAX_ATTEMPTS,
      backoffMs: BACKOFF_MS,
      exhausted: async (taskId, error) => {
        // The cause (a database, a bucket, a host) is for the operator's log, not for the user's error message.
        log("error", "detection failed on every try", { task_id: taskId, ...errorFields(error) });
        await seams().tasks.abandon(taskId, `Face detection failed ${MAX_ATTEMPTS} times on this server`);
      },
    },
  };
}

/**
 * The detection side of a process on the seams (the worker role, or `npm start` in scale-out mode): takes jobs
 * from the queue as claims on their tasks, runs them on the local engine or Magic Hour, puts stranded tasks back
 * in the queue and sweeps retention under the cluster locks. `stop` takes no new jobs and finishes the held ones.
 */
export function startDetections(
  seams: Seams,
  config: ServerConfig,
  metrics: Metrics,
): { stop(): Promise<void> } {
  const engine = createFaceEngine({ maxPixels: config.maxImagePixels });
  const embeddingPool = new InferencePool({ workers: 1, threadsPerWorker: 1 });
  const run = dispatchClaimedToProvider(seams.tasks, {
    local: claimedLocalRunner({
      tasks: seams.tasks,
      blobs: seams.blobs,
      engine,
      embedder: new FaceEmbedder(embeddingPool),
      maxVideoSeconds: config.maxVideoSeconds,
      maxDownloadBytes: config.maxUploadBytes,
      downloadTimeoutMs: config.urlDownloadTimeoutMs,
      maxDetectionMs: config.maxDetectionMs,
      maxVideoProcessingSeconds: config.maxVideoProcessingSeconds,
      maxPixels: config.maxImagePixels,
    }),
    "magic-hour": config.magicHour
      ? claimedMagicHourRunner({
          tasks: seams.tasks,
          blobs: seams.blobs,
          magicHour: magicHourClient(config.magicHour),
          maxImagePixels: config.maxImagePixels,
        })
      : null,
  });
  seams.queue.start(
    metrics.instrumentJob(
      claimedRunHandler(
        { tasks: seams.tasks, worker: seams.worker, leaseMs: LEASE_MS, maxAttempts: MAX_ATTEMPTS },
        async (claim, task, signal) => {
          // A first claim, not a Magic Hour task woken for its next poll (same attempt, upstream id already set).
          if (claim.attempt === 1 && task.remoteId === null) {
            metrics.observeQueueWait(Math.max(0, Date.now() - task.createdAt) / 1000);
          }
          return run(claim, task, signal);
        },
      ),
    ),
  );
  const stopSweeper = startRequeueSweeper(seams, SWEEP_MS);
  const stopRetention = startClusterRetention(
    { ...seams, retentionMs: config.retentionMs },
    config.retentionSweepMs,
  );
  return {
    async stop() {
      stopSweeper();
      stopRetention();
      await seams.queue.stop();
      await engine.close();
      await embeddingPool.close();
    },
  };
}
