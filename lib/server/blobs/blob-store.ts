import "server-only";
import type { Readable } from "node:stream";

/**
 * Where inputs, face crops and previews live, addressed by keys such as `api-assets/<id>/0-0.png`: local disk in one
 * process (embedded), an S3-compatible bucket when `S3_BUCKET` is set and processes on several hosts share files.
 * The interface has no file paths in it, so code above it works the same on both; tools that need a path (ffmpeg)
 * ask for a local copy.
 */
export interface BlobStore {
  /**
   * Store the bytes under `key`, all or nothing: a reader never sees half an object, and a stream that fails
   * (a client that hangs up, a size limit a Transform enforces) leaves nothing behind.
   */
  put(key: string, body: Buffer | Readable, options?: { contentType?: string }): Promise<{ size: number }>;
  /** The object's bytes (a byte range of them, `end` inclusive, if asked), and its full size; null if absent. */
  get(
    key: string,
    range?: { start: number; end: number },
  ): Promise<{ stream: Readable; size: number } | null>;
  head(key: string): Promise<{ size: number } | null>;
  delete(key: string): Promise<void>;
  /** Delete everything under api-assets/<id>/ (a task's or an upload's files). */
  deleteAll(id: string): Promise<void>;
  /**
   * A short-lived URL a client can fetch the object from directly (a presigned GET), or null when this store has
   * none and the app streams the object itself (local files).
   */
  clientUrl(key: string, ttlSeconds: number): Promise<string | null>;
  /** A file on this host with the object's bytes, for tools that read paths; `release` removes it when it is a copy. */
  localCopy(key: string): Promise<{ path: string; release(): Promise<void> }>;
  /** Remove what writers that died left behind (temporary files, unfinished multipart uploads) older than this. */
  removeStale(olderThanMs: number): Promise<number>;
  /** Reachability for /api/health. */
  check(): Promise<void>;
}

/** Keys are a few plain segments; anything else (dots, slashes, empty parts) is refused before touching storage. */
const KEY = /^api-assets(\/[A-Za-z0-9_-]{1,64}){1,2}(\/[A-Za-z0-9_-]{1,64}\.[a-z0-9]{1,5})$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`Invalid storage key: ${key}`);
  return key;
}

export function checkId(id: string): string {
  if (!ID.test(id)) throw new Error(`Invalid id: ${id}`);
  return id;
}
