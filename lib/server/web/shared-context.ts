import "server-only";
import { BodyGate } from "../body-stream";
import type { ServerConfig } from "../config";
import type { ServerContext, SpaceCheck } from "../context";
import type { Deployment } from "../deployment";
import { DiskSpace } from "../disk-space";
import { observeHttpWith } from "../http-observer";
import { log } from "../log";
import { createMetrics } from "../metrics";
import { openSeams } from "../seams";
import { UPLOAD_SIGNING_KEY, uploadSigner } from "../upload-signing";
import { seamOptions, startDetections } from "../worker-process";
import { rateLimiters } from "./rate-limiters";
import { webHealth } from "./web-health";

/**
 * A web process on the seams (scale-out): tasks and uploads in the repository (PostgreSQL), files in the blob store
 * (the bucket), jobs in the queue (BullMQ), rate-limit counters in Redis, the upload-signing key from the shared
 * settings, so that any instance answers any request. PROCESS_ROLE=web only enqueues: workers (`npm run worker`)
 * run the detections. PROCESS_ROLE=all (`npm start`) also takes jobs from the queue itself, as a worker does.
 */
export async function createSharedContext(
  config: ServerConfig,
  deployment: Deployment,
): Promise<ServerContext> {
  if (deployment.role === "worker")
    throw new Error("PROCESS_ROLE=worker serves no pages: run npm run worker");
  const seams = await openSeams(
    deployment,
    seamOptions(config, deployment, () => seams),
  );
  const metrics = createMetrics(deployment.role, seams.queue);
  observeHttpWith(metrics);
  const detections = deployment.role === "all" ? startDetections(seams, config, metrics) : null;
  // Only what lives on this host's disk can fill it: a bucket has no free space to watch from here.
  const onDisk = deployment.blobs.kind === "local" || deployment.database.kind === "sqlite";
  const disk: SpaceCheck = onDisk ? new DiskSpace(config.dataDir, config.minFreeDiskBytes) : { require() {} };
  log("info", "server started on the shared services", {
    role: deployment.role,
    database: deployment.database.kind,
    queue: deployment.queue.kind,
    blobs: deployment.blobs.kind,
    detections: detections ? "in this process" : "workers",
  });
  return {
    config,
    deployment,
    tasks: seams.tasks,
    uploads: seams.uploads,
    blobs: seams.blobs,
    signer: uploadSigner(await seams.settings.secret(UPLOAD_SIGNING_KEY)),
    detections: {
      // The client's lane in Redis orders the jobs fairly between clients (jobs/client-lanes.ts).
      async enqueue(taskId, lane) {
        await seams.queue.enqueue(taskId, { client: lane });
      },
      pending: (lane) => seams.queue.queued(lane),
    },
    disk,
    health: () => webHealth(seams.checks),
    metrics,
    limits: rateLimiters(config, seams.rateLimits),
    bodyGate: new BodyGate(config.uploadsPerAddress, config.maxConcurrentUploads),
    async close() {
      await detections?.stop();
      await seams.close();
    },
  };
}
