import "server-only";
import { Readable } from "node:stream";
import type { BlobStore } from "./blobs/blob-store";
import { type BodyRules, bodyChunks } from "./body-stream";

/** Enough of a file's start to tell its format (image signatures, a video's container box). */
const HEAD_BYTES = 4096;

/**
 * Stream a request body into the blob store within the rules (size limit counted as the bytes arrive, timeouts,
 * concurrent uploads per address): the rest of an oversized or stalled body is never read, let alone stored. The
 * first bytes are read before anything is stored, so that `keyFor` can refuse content of the wrong kind (nothing
 * of it is stored) or name the object by what it is; an empty body is refused with `empty()`. All or nothing: a refusal midway leaves no
 * object behind (the blob store's put).
 */
export async function storeRequestBody(
  request: Request,
  rules: BodyRules,
  blobs: BlobStore,
  options: { empty(): Error; keyFor(head: Buffer): { key: string; contentType: string } },
): Promise<{ key: string; size: number }> {
  const chunks = bodyChunks(request, rules);
  const first: Uint8Array[] = [];
  let headSize = 0;
  let ended = false;
  try {
    while (headSize < HEAD_BYTES) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      first.push(next.value);
      headSize += next.value.byteLength;
    }
    if (headSize === 0) throw options.empty();
    let chosen: { key: string; contentType: string };
    try {
      chosen = options.keyFor(Buffer.concat(first).subarray(0, HEAD_BYTES));
    } catch (refusal) {
      // Refused by its first bytes: the rest is read (within the same limits) and dropped, never stored, so that
      // an oversized or stalled body still meets its 413 or 408 first, and a refused client hears the answer on a
      // connection that stays usable, as when the content was judged after the whole file.
      if (!ended) for await (const _ of { [Symbol.asyncIterator]: () => chunks });
      throw refusal;
    }
    const { key, contentType } = chosen;
    let size = 0;
    // The body's own refusal (413, 408) is what the client must hear, not the store's account of a broken stream.
    let bodyError: unknown = null;
    const body = async function* () {
      for (const chunk of first) {
        size += chunk.byteLength;
        yield chunk;
      }
      if (ended) return;
      try {
        for await (const chunk of { [Symbol.asyncIterator]: () => chunks }) {
          size += chunk.byteLength;
          yield chunk;
        }
      } catch (error) {
        bodyError = error;
        throw error;
      }
    };
    try {
      await blobs.put(key, Readable.from(body()), { contentType });
    } catch (error) {
      throw bodyError ?? error;
    }
    return { key, size };
  } finally {
    // Stopped before the end (refused by its first bytes, or the store failed): let go of the body's upload slot.
    await chunks.return(undefined);
  }
}
