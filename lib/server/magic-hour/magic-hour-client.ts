import "server-only";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import magicHour from "magic-hour";
import type { MediaKind } from "../../media/media-types";
import { parseRetryAfter, problemOfStatus, UpstreamError } from "./upstream-error";

/**
 * The one place that talks to Magic Hour. It owns the token (nothing else sees it), the timeouts and the retries,
 * and turns every failure into an UpstreamError with a message fit for users. Reads (GET) are retried on 429 and
 * 5xx with jittered backoff; the POST that creates a detection is never retried, since a lost response may still
 * have created the task upstream.
 */

type ClientClass = typeof magicHour;
// The package's only export is `default`; under Node's ESM interop it can arrive wrapped once more.
const Client = ((magicHour as unknown as { default?: ClientClass }).default ?? magicHour) as ClientClass;

export interface RemoteFace {
  path: string;
  url: string;
}

export interface RemoteDetection {
  status: "queued" | "rendering" | "complete" | "error";
  faces: RemoteFace[];
}

export interface MagicHourClient {
  /** Ask for an upload URL and PUT the file there ourselves; returns Magic Hour's file_path. */
  upload(file: string, extension: string, kind: MediaKind): Promise<string>;
  createDetection(filePath: string, confidence: number): Promise<string>;
  getDetection(id: string): Promise<RemoteDetection>;
  /** Fetch a crop from Magic Hour's storage (its URLs are pre-signed: no token is sent). */
  download(url: string, maxBytes: number): Promise<Buffer>;
}

export interface MagicHourOptions {
  token: string;
  baseUrl: string;
  timeoutMs?: number;
  /** Attempts for a read before giving up (1 = no retry). */
  readAttempts?: number;
  /** Backoff base; tests shorten it. */
  backoffMs?: number;
}

export function magicHourClient(options: MagicHourOptions): MagicHourClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const attempts = options.readAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const client = new Client({ token: options.token, baseUrl: options.baseUrl, timeout: timeoutMs });

  /** Retry reads on 429/5xx/network, honouring Retry-After, with full jitter. */
  async function withRetries<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (cause) {
        const error = toUpstreamError(what, cause);
        const retriable = error.problem === "busy" || error.problem === "unavailable";
        if (!retriable || attempt >= attempts) throw error;
        const backoff = Math.random() * backoffMs * 2 ** (attempt - 1);
        await new Promise((resolve) => setTimeout(resolve, Math.max(error.retryAfterMs ?? 0, backoff)));
      }
    }
  }

  return {
    async upload(file, extension, kind) {
      const { items } = await withRetries("upload-urls", () =>
        client.v1.files.uploadUrls.create({ items: [{ type: kind, extension }] }),
      );
      const slot = items[0];
      if (!slot) throw new UpstreamError("unavailable", "upload-urls returned no item");
      const { size } = await stat(file);
      // Streamed from disk; a failed PUT is not retried with a half-sent body, the task fails instead.
      const response = await fetchWithTimeout(slot.uploadUrl, timeoutMs, {
        method: "PUT",
        body: Readable.toWeb(createReadStream(file)) as ReadableStream,
        headers: { "content-length": String(size) },
        duplex: "half",
      } as RequestInit).catch((cause) => {
        throw toUpstreamError("upload PUT", cause);
      });
      if (!response.ok)
        throw new UpstreamError(problemOfStatus(response.status), `upload PUT: ${response.status}`);
      return slot.filePath;
    },

    async createDetection(filePath, confidence) {
      try {
        const created = await client.v1.faceDetection.create({
          assets: { targetFilePath: filePath },
          confidenceScore: confidence,
        });
        return created.id;
      } catch (cause) {
        throw toUpstreamError("create detection", cause);
      }
    },

    async getDetection(id) {
      const result = await withRetries("get detection", () => client.v1.faceDetection.get({ id }));
      return { status: result.status, faces: result.faces.map(({ path, url }) => ({ path, url })) };
    },

    async download(url, maxBytes) {
      return withRetries("download face", async () => {
        const response = await fetchWithTimeout(url, timeoutMs);
        if (!response.ok) throw new HttpStatus(response.status, response.headers.get("retry-after"));
        const bytes = Buffer.from(await response.arrayBuffer());
        if (bytes.length > maxBytes) throw new UpstreamError("failed", `face image over ${maxBytes} bytes`);
        return bytes;
      });
    },
  };
}

class HttpStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | null,
  ) {
    super(`HTTP ${status}`);
  }
}

async function fetchWithTimeout(url: string, timeoutMs: number, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** Map whatever the SDK or fetch threw to an UpstreamError. */
function toUpstreamError(what: string, cause: unknown): UpstreamError {
  if (cause instanceof UpstreamError) return cause;
  const response = (
    cause as { response?: { status?: number; headers?: { get(name: string): string | null } } }
  )?.response;
  const status = response?.status ?? (cause instanceof HttpStatus ? cause.status : undefined);
  if (typeof status === "number") {
    const retryAfter =
      response?.headers?.get("retry-after") ?? (cause instanceof HttpStatus ? cause.retryAfter : null);
    return new UpstreamError(problemOfStatus(status), `${what}: HTTP ${status}`, parseRetryAfter(retryAfter));
  }
  const name = cause instanceof Error ? cause.name : "error";
  // Timeouts, refused connections, resets, and malformed answers: the service is not usable right now.
  return new UpstreamError("unavailable", `${what}: ${name}`);
}
