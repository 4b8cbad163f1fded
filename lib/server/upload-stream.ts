import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type BodyRules, bodyChunks } from "./body-stream";

/**
 * Stream a request body to a file within the rules (size limit counted as the bytes arrive, timeouts, concurrent
 * uploads per address): the rest of an oversized or stalled body is never read, let alone written. Returns the
 * number of bytes written.
 */
export async function saveRequestBody(request: Request, file: string, rules: BodyRules): Promise<number> {
  let size = 0;
  const counted = async function* () {
    for await (const chunk of bodyChunks(request, rules)) {
      size += chunk.byteLength;
      yield chunk;
    }
  };
  await pipeline(Readable.from(counted()), createWriteStream(file));
  return size;
}
