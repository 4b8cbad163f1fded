import "server-only";
import { Readable } from "node:stream";
import { contentTypeOf } from "../../../media/media-types";
import { notFound } from "../../api-error";
import type { BlobStore } from "../../blobs/blob-store";
import { isValidKey } from "../../file-storage";

const CROP = /^\d+-\d+\.png$/;

/**
 * GET /api-assets/{id}/{file}: crops and uploaded originals. No bearer token (Magic Hour's SDK downloads crops
 * without one): the 128-bit random id in the path is the capability. Crops never change once written, so they are
 * cached for a year. Read through the blob store, so that any web instance serves them the same way whether they
 * are on this host's disk or in the shared bucket.
 */
export async function serveAsset(
  blobs: BlobStore,
  id: string,
  file: string,
  method: "GET" | "HEAD",
  range: string | null = null,
): Promise<Response> {
  const key = `api-assets/${id}/${file}`;
  if (!isValidKey(key) || file.endsWith(".part")) throw notFound();
  const found = await blobs.head(key);
  if (!found) throw notFound();
  const extension = file.slice(file.lastIndexOf(".") + 1);
  const headers = {
    "Content-Type": contentTypeOf(extension),
    "Content-Length": String(found.size),
    "Cache-Control": CROP.test(file) ? "public, max-age=31536000, immutable" : "private, max-age=3600",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
  };
  // Byte ranges, so that a browser can seek in a video without downloading all of it.
  const wanted = /^bytes=(\d*)-(\d*)$/.exec(range ?? "");
  if (wanted && method === "GET" && (wanted[1] || wanted[2])) {
    const start = wanted[1] ? Number(wanted[1]) : Math.max(0, found.size - Number(wanted[2]));
    const end = wanted[1] && wanted[2] ? Math.min(Number(wanted[2]), found.size - 1) : found.size - 1;
    if (start > end || start >= found.size) {
      return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${found.size}` } });
    }
    const part = await blobs.get(key, { start, end });
    if (!part) throw notFound();
    return new Response(Readable.toWeb(part.stream) as ReadableStream, {
      status: 206,
      headers: {
        ...headers,
        "Content-Length": String(end - start + 1),
        "Content-Range": `bytes ${start}-${end}/${found.size}`,
      },
    });
  }
  if (method === "HEAD") {
    return new Response(null, { headers: { ...headers, "Accept-Ranges": "bytes" } });
  }
  const whole = await blobs.get(key);
  if (!whole) throw notFound();
  return new Response(Readable.toWeb(whole.stream) as ReadableStream, {
    headers: { ...headers, "Accept-Ranges": "bytes" },
  });
}
