import { createWriteStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { ApiError } from "./api-error";

class TooLarge extends Error {}

export function tooLarge(limit: number): ApiError {
  return new ApiError(413, `File too large: the limit is ${Math.floor(limit / (1024 * 1024))} MB`);
}

/**
 * Stream a request body to a file, stopping as soon as it passes the limit: the rest of an oversized body is never
 * read, let alone written. Returns the number of bytes written.
 */
export async function saveRequestBody(request: Request, file: string, limit: number): Promise<number> {
  if (Number(request.headers.get("content-length") ?? "0") > limit) throw tooLarge(limit);
  if (!request.body) return 0;
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      callback(size > limit ? new TooLarge() : null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(request.body as WebReadableStream), counter, createWriteStream(file));
  } catch (error) {
    if (error instanceof TooLarge) throw tooLarge(limit);
    throw error;
  }
  return size;
}
