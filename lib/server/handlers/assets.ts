import { Readable } from "node:stream";
import { notFound } from "../api-error";
import type { ServerContext } from "../context";
import { isValidKey } from "../file-storage";
import { contentTypeOf } from "../media";

const CROP = /^\d+-\d+\.png$/;

/**
 * GET /api-assets/{id}/{file}: crops and uploaded originals. No bearer token (Magic Hour's SDK downloads crops
 * without one): the 128-bit random id in the path is the capability. Crops never change once written, so they are
 * cached for a year.
 */
export async function serveAsset(
  ctx: ServerContext,
  id: string,
  file: string,
  method: "GET" | "HEAD",
): Promise<Response> {
  const key = `api-assets/${id}/${file}`;
  if (!isValidKey(key) || file.endsWith(".part")) throw notFound();
  const found = await ctx.storage.open(key);
  if (!found) throw notFound();
  const extension = file.slice(file.lastIndexOf(".") + 1);
  const headers = {
    "Content-Type": contentTypeOf(extension),
    "Content-Length": String(found.size),
    "Cache-Control": CROP.test(file) ? "public, max-age=31536000, immutable" : "private, max-age=3600",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
  };
  if (method === "HEAD") {
    found.stream.destroy();
    return new Response(null, { headers });
  }
  return new Response(Readable.toWeb(found.stream) as ReadableStream, { headers });
}
