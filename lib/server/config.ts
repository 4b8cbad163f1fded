import "server-only";
import path from "node:path";
import { z } from "zod";
import { parseTrustProxy, type TrustProxy } from "./client-address";

/**
 * Server configuration: read from the environment once, validated, with defaults that are safe for local use.
 * Nothing else reads process.env for these values. The README's configuration table mirrors this schema.
 */
const commaList = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(8, "each API key must be at least 8 characters")));

const ConfigSchema = z.object({
  API_KEYS: commaList.default([]),
  DATA_DIR: z.string().default("./data"),
  PUBLIC_BASE_URL: z.url().optional(),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(200 * 1024 * 1024),
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  URL_DOWNLOAD_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  DETECTION_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(1),
  MAX_IMAGE_PIXELS: z.coerce.number().int().positive().default(50_000_000),
  MAX_VIDEO_SECONDS: z.coerce.number().positive().default(600),
  MAX_DETECTION_SECONDS: z.coerce.number().positive().default(60),
  MAX_VIDEO_PROCESSING_SECONDS: z.coerce.number().positive().default(1800),
  RATE_LIMIT_PER_KEY: z.coerce.number().int().min(0).default(120),
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(0).default(120),
  MIN_FREE_DISK_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(256 * 1024 * 1024),
  RATE_LIMIT_WEB_PER_ADDRESS: z.coerce.number().int().min(0).default(60),
  RATE_LIMIT_RERUNS_PER_ADDRESS: z.coerce.number().int().min(0).default(10),
  TRUST_PROXY: z.string().optional(),
  BODY_IDLE_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  BODY_TIMEOUT_SECONDS: z.coerce.number().positive().default(280),
  UPLOADS_PER_ADDRESS: z.coerce.number().int().positive().default(8),
  MAX_CONCURRENT_UPLOADS: z.coerce.number().int().positive().default(100),
  QUEUED_PER_CLIENT: z.coerce.number().int().positive().default(20),
  RETENTION_DAYS: z.coerce.number().positive().default(7),
  RETENTION_SWEEP_SECONDS: z.coerce.number().positive().default(3600),
  FACE_DETECTION_PROVIDER: z.enum(["local", "magic-hour"]).optional(),
  MAGIC_HOUR_API_TOKEN: z.string().min(1).optional(),
  MAGIC_HOUR_BASE_URL: z.url().default("https://api.magichour.ai"),
});

export type ServerConfig = {
  apiKeys: string[];
  dataDir: string;
  publicBaseUrl: string | undefined;
  maxUploadBytes: number;
  uploadUrlTtlSeconds: number;
  urlDownloadTimeoutMs: number;
  detectionConcurrency: number;
  maxImagePixels: number;
  maxVideoSeconds: number;
  /** Time budget of one photo's detection; a task that runs longer ends in `error`. */
  maxDetectionMs: number;
  /** Wall-clock budget for one video's detection. */
  maxVideoProcessingSeconds: number;
  /** Creates and uploads per minute, per API key and per client address (0 = no limit). */
  rateLimitPerKey: number;
  rateLimitPerAddress: number;
  /** Below this much free space in DATA_DIR new files are refused (507) and health says degraded. */
  minFreeDiskBytes: number;
  /** The web app's uploads have their own budget per address, apart from the /v1 API's. */
  rateLimitWebPerAddress: number;
  rateLimitRerunsPerAddress: number;
  /** Which peers' X-Forwarded-For / -Host / -Proto are believed. */
  trustProxy: TrustProxy;
  bodyIdleTimeoutMs: number;
  bodyTimeoutMs: number;
  uploadsPerAddress: number;
  maxConcurrentUploads: number;
  /** Detections one client (API key or web address) may have waiting or running at once. */
  queuedPerClient: number;
  retentionMs: number;
  retentionSweepMs: number;
  /** Who detects: this server's engine, or Magic Hour's API (then `magicHour` holds how to reach it). */
  provider: "local" | "magic-hour";
  magicHour: { token: string; baseUrl: string } | null;
};

export function parseConfig(env: Record<string, string | undefined>): ServerConfig {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
      .join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  let trustProxy: TrustProxy;
  try {
    trustProxy = parseTrustProxy(c.TRUST_PROXY);
  } catch (error) {
    throw new Error(`Invalid configuration: ${(error as Error).message}`);
  }
  // A token alone selects Magic Hour; FACE_DETECTION_PROVIDER=local keeps the local engine even with a token.
  const provider = c.FACE_DETECTION_PROVIDER ?? (c.MAGIC_HOUR_API_TOKEN ? "magic-hour" : "local");
  if (provider === "magic-hour" && !c.MAGIC_HOUR_API_TOKEN) {
    throw new Error("Invalid configuration: FACE_DETECTION_PROVIDER=magic-hour needs MAGIC_HOUR_API_TOKEN");
  }
  return {
    apiKeys: c.API_KEYS,
    dataDir: path.resolve(c.DATA_DIR),
    publicBaseUrl: c.PUBLIC_BASE_URL?.replace(/\/+$/, ""),
    maxUploadBytes: c.MAX_UPLOAD_BYTES,
    uploadUrlTtlSeconds: c.UPLOAD_URL_TTL_SECONDS,
    urlDownloadTimeoutMs: c.URL_DOWNLOAD_TIMEOUT_SECONDS * 1000,
    detectionConcurrency: c.DETECTION_CONCURRENCY,
    maxImagePixels: c.MAX_IMAGE_PIXELS,
    maxVideoSeconds: c.MAX_VIDEO_SECONDS,
    maxDetectionMs: c.MAX_DETECTION_SECONDS * 1000,
    maxVideoProcessingSeconds: c.MAX_VIDEO_PROCESSING_SECONDS,
    rateLimitPerKey: c.RATE_LIMIT_PER_KEY,
    rateLimitPerAddress: c.RATE_LIMIT_PER_ADDRESS,
    minFreeDiskBytes: c.MIN_FREE_DISK_BYTES,
    rateLimitWebPerAddress: c.RATE_LIMIT_WEB_PER_ADDRESS,
    rateLimitRerunsPerAddress: c.RATE_LIMIT_RERUNS_PER_ADDRESS,
    trustProxy,
    bodyIdleTimeoutMs: c.BODY_IDLE_TIMEOUT_SECONDS * 1000,
    bodyTimeoutMs: c.BODY_TIMEOUT_SECONDS * 1000,
    uploadsPerAddress: c.UPLOADS_PER_ADDRESS,
    maxConcurrentUploads: c.MAX_CONCURRENT_UPLOADS,
    queuedPerClient: c.QUEUED_PER_CLIENT,
    retentionMs: c.RETENTION_DAYS * 24 * 3600 * 1000,
    retentionSweepMs: c.RETENTION_SWEEP_SECONDS * 1000,
    provider,
    magicHour:
      provider === "magic-hour" && c.MAGIC_HOUR_API_TOKEN
        ? { token: c.MAGIC_HOUR_API_TOKEN, baseUrl: c.MAGIC_HOUR_BASE_URL.replace(/\/+$/, "") }
        : null,
  };
}
