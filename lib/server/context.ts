import "server-only";
import type { BlobStore } from "./blobs/blob-store";
import type { BodyGate } from "./body-stream";
import { parseConfig, type ServerConfig } from "./config";
import { type Deployment, parseDeployment } from "./deployment";
import type { Metrics } from "./metrics";
import type { RateLimiter } from "./rate-limit";
import type { TaskRepository, UploadRepository } from "./repository/task-repository";
import type { UploadSigner } from "./upload-signing";
import { createEmbeddedContext } from "./web/embedded-context";
import { createSharedContext } from "./web/shared-context";
import type { WebHealth } from "./web/web-health";

/** Where a route puts a new task's detection: the client's lane gives the queue's fair turns (either queue). */
export interface DetectionDispatch {
  enqueue(taskId: string, lane: string): Promise<void>;
  /** The lane's detections waiting, delayed or running (across the cluster on BullMQ), for QUEUED_PER_CLIENT. */
  pending(lane: string): Promise<number>;
}

/** Refuses new files (507) while the disk they would go to is short of space; a bucket has no such limit here. */
export interface SpaceCheck {
  require(bytes?: number): void;
}

/**
 * Everything a request handler needs, made once per process from the deployment settings: the embedded pieces
 * (SQLite, files on this disk, the in-process fair queue, counters in memory) or the shared ones (PostgreSQL, the
 * bucket, BullMQ, counters in Redis), behind the same seams, so a handler can't tell which it has.
 */
export interface ServerContext {
  config: ServerConfig;
  deployment: Deployment;
  tasks: TaskRepository;
  uploads: UploadRepository;
  blobs: BlobStore;
  signer: UploadSigner;
  detections: DetectionDispatch;
  disk: SpaceCheck;
  health(): Promise<WebHealth>;
  metrics: Metrics;
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

/** Embedded when nothing is shared: the one-process server as it always was. Anything shared runs on the seams. */
export function isEmbedded(deployment: Deployment): boolean {
  return (
    deployment.database.kind === "sqlite" &&
    deployment.blobs.kind === "local" &&
    deployment.queue.kind === "in-process"
  );
}

export function createServerContext(config: ServerConfig, deployment: Deployment): Promise<ServerContext> {
  return isEmbedded(deployment)
    ? createEmbeddedContext(config, deployment)
    : createSharedContext(config, deployment);
}

// Kept on globalThis so that Next's development reloads (and route bundles with their own copy of this module)
// share one database handle, one set of connections and one queue.
const holder = globalThis as typeof globalThis & {
  __faceFinderContext?: Promise<ServerContext>;
  __faceFinderConfig?: ServerConfig;
};

/** The settings alone, read once: what pages need without opening the database. */
export function serverConfig(): ServerConfig {
  holder.__faceFinderConfig ??= parseConfig(process.env);
  return holder.__faceFinderConfig;
}

/**
 * The process's context, made on first use (instrumentation.ts asks at start-up, so a refused configuration stops
 * the server before it takes a request).
 */
export function serverContext(): Promise<ServerContext> {
  holder.__faceFinderContext ??= createServerContext(serverConfig(), parseDeployment(process.env));
  return holder.__faceFinderContext;
}
