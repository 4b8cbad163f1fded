import "server-only";
import { type FileHandle, open } from "node:fs/promises";
import type http from "node:http";
import { RemoteFileError, toRemoteError } from "./remote-file-error";

/** Refuse a response that is no success, or that declares a body over the limit, before reading its body. */
export function checkResponseHeaders(response: http.IncomingMessage, url: URL, maxBytes: number): void {
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 299) {
    throw new RemoteFileError(
      "http_error",
      `The server at ${url.hostname} answered with HTTP status ${status}.`,
    );
  }
  // Refuse a declared oversize body before writing a byte; the streaming count below catches servers that lie.
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLargeError(url, maxBytes);
}

/**
 * Stream the body into a new file at `tempPath`, stopping as soon as it exceeds `maxBytes`. Returns the byte count.
 * `signal` is the download's: once it has aborted, its reason (a timeout) is the error.
 */
export async function saveBody(
  response: http.IncomingMessage,
  url: URL,
  tempPath: string,
  limits: { maxBytes: number; signal: AbortSignal },
): Promise<number> {
  // "wx": never follow or overwrite something already at the temporary path.
  const file = await open(tempPath, "wx", 0o600);
  try {
    return await copyLimited(response, file, url, limits);
  } finally {
    await file.close();
  }
}

async function copyLimited(
  response: http.IncomingMessage,
  file: FileHandle,
  url: URL,
  { maxBytes, signal }: { maxBytes: number; signal: AbortSignal },
): Promise<number> {
  const chunks: AsyncIterator<Buffer> = response[Symbol.asyncIterator]();
  let bytes = 0;
  for (;;) {
    // Reading is kept apart from writing so that network failures become RemoteFileErrors while disk failures
    // (a server fault) keep their own error.
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch (error) {
      throw toRemoteError(error, url, signal);
    }
    if (next.done) {
      // A connection cut short can look like a normal end of stream: never keep a truncated file.
      if (!response.complete || signal.aborted) {
        throw toRemoteError(new Error("response ended early"), url, signal);
      }
      return bytes;
    }
    bytes += next.value.length;
    if (bytes > maxBytes) throw tooLargeError(url, maxBytes);
    await file.writeFile(next.value);
  }
}

function tooLargeError(url: URL, maxBytes: number): RemoteFileError {
  return new RemoteFileError(
    "too_large",
    `The file at ${url.hostname} is larger than the ${maxBytes}-byte limit.`,
  );
}
