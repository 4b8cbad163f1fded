import "server-only";
import { z } from "zod";

/**
 * Where the shared state lives, read from the environment once. Nothing set: the embedded default (SQLite, local
 * files, an in-process queue, in-memory rate limits). `DATABASE_URL`, `REDIS_URL` and `S3_*` move each piece to a
 * shared service; a set that would let processes disagree (a queue shared between hosts whose files are on one
 * host's disk) is refused here, at start-up, with the names of what is missing.
 */
export type ProcessRole = "all" | "web" | "worker";

export type DatabaseSetting = { kind: "sqlite" } | { kind: "postgres"; url: string };
export type QueueSetting = { kind: "in-process" } | { kind: "redis"; url: string };
export type BlobSetting =
  | { kind: "local" }
  | {
      kind: "s3";
      /** Unset: AWS itself. */
      endpoint: string | undefined;
      bucket: string;
      region: string;
      /** Unset: the SDK's own chain (instance roles, AWS_* variables, profiles). */
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
      forcePathStyle: boolean;
    };

export interface Deployment {
  /** `all`: web and worker in one process (`npm start`); `web` runs no detections; `worker` serves no pages. */
  role: ProcessRole;
  database: DatabaseSetting;
  /** The job queue and the rate-limit counters (both live in Redis when it is set). */
  queue: QueueSetting;
  blobs: BlobSetting;
  /** The worker role's `/healthz` and `/metrics`. */
  workerPort: number;
  /** Prefix of every Redis key (BullMQ's and the counters'): deployments (or test runs) sharing one Redis differ. */
  redisPrefix: string;
  /** When set, the web's `/metrics` answers only `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

const flag = z
  .enum(["true", "false", "1", "0"], { message: "must be true or false" })
  .optional()
  .transform((value) => (value === undefined ? undefined : value === "true" || value === "1"));

const DeploymentSchema = z.object({
  PROCESS_ROLE: z.enum(["all", "web", "worker"]).default("all"),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/./, "must be a postgres:// URL (leave it unset for the embedded SQLite)")
      .optional(),
  ),
  REDIS_URL: optionalText.pipe(
    z
      .string()
      .regex(/^rediss?:\/\/./, "must be a redis:// or rediss:// URL")
      .optional(),
  ),
  S3_ENDPOINT: optionalText.pipe(
    z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional(),
  ),
  S3_BUCKET: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a bucket name: 3-63 of a-z 0-9 . -")
      .optional(),
  ),
  S3_REGION: optionalText,
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  S3_FORCE_PATH_STYLE: flag,
  WORKER_PORT: z.coerce.number().int().min(1).max(65535).default(9464),
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  REDIS_PREFIX: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 of A-Z a-z 0-9 _ -")
      .default("facefinder"),
  ),
});

const S3_NAMES = [
  "S3_ENDPOINT",
  "S3_BUCKET",
  "S3_REGION",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
  "S3_FORCE_PATH_STYLE",
] as const;

export function parseDeployment(env: Record<string, string | undefined>): Deployment {
  const parsed = DeploymentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
      .join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const s3Named = S3_NAMES.filter((name) => env[name]?.trim());
  const problems: string[] = [];

  if (s3Named.length > 0 && !e.S3_BUCKET) {
    problems.push(
      `${s3Named.join(", ")} set but S3_BUCKET is missing (the bucket for inputs, crops and previews)`,
    );
  }
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    problems.push(
      `${e.S3_ACCESS_KEY_ID ? "S3_ACCESS_KEY_ID" : "S3_SECRET_ACCESS_KEY"} set without ${
        e.S3_ACCESS_KEY_ID ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID"
      } (set both, or neither to use the AWS SDK's own credentials)`,
    );
  }
  const shared = {
    DATABASE_URL: Boolean(e.DATABASE_URL),
    REDIS_URL: Boolean(e.REDIS_URL),
    S3_BUCKET: s3Named.length > 0,
  };
  const missing = (Object.keys(shared) as Array<keyof typeof shared>).filter((name) => !shared[name]);
  if (e.PROCESS_ROLE !== "all" && missing.length > 0) {
    // A web-only or worker-only process always has peers, and peers must share the database, the queue and files.
    problems.push(
      `PROCESS_ROLE=${e.PROCESS_ROLE} runs beside other processes, which must share tasks, jobs and files: set ${missing.join(", ")}`,
    );
  } else if (e.REDIS_URL && missing.length > 0) {
    // A queue in Redis hands jobs to processes on any host: each must reach the same tasks and the same files.
    problems.push(
      `REDIS_URL shares the job queue between processes, which then also need a shared database and object store: set ${missing.join(", ")}`,
    );
  }
  if (problems.length > 0) throw new Error(`Invalid configuration: ${problems.join("; ")}`);

  return {
    role: e.PROCESS_ROLE,
    database: e.DATABASE_URL ? { kind: "postgres", url: e.DATABASE_URL } : { kind: "sqlite" },
    queue: e.REDIS_URL ? { kind: "redis", url: e.REDIS_URL } : { kind: "in-process" },
    blobs: e.S3_BUCKET
      ? {
          kind: "s3",
          endpoint: e.S3_ENDPOINT?.replace(/\/+$/, ""),
          bucket: e.S3_BUCKET,
          region: e.S3_REGION ?? "us-east-1",
          credentials:
            e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
              ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
              : undefined,
          // S3-compatible stores (MinIO, Swift, Ceph) are usually reached by path; AWS prefers virtual hosts.
          forcePathStyle: e.S3_FORCE_PATH_STYLE ?? Boolean(e.S3_ENDPOINT),
        }
      : { kind: "local" },
    workerPort: e.WORKER_PORT,
    redisPrefix: e.REDIS_PREFIX,
    metricsToken: e.METRICS_TOKEN,
  };
}

/** True when more than one process may serve the same tasks (then a cluster lock, not a local one, guards sweeps). */
export function isShared(deployment: Deployment): boolean {
  return deployment.queue.kind === "redis";
}
