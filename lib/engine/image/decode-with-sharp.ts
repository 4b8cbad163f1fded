import sharp, { type Metadata } from "sharp";
import type { ImageFormat } from "../../media/media-types";
import { type DecodedImage, finish } from "./finish-pixels";
import { checkDimensions, corrupt } from "./image-decode-error";

/** JPEG, PNG, WebP, TIFF and AVIF: libvips reads them straight from the bytes. */
export async function decodeWithSharp(
  bytes: Buffer,
  format: ImageFormat,
  maxPixels: number,
): Promise<DecodedImage> {
  let metadata: Metadata;
  try {
    // Parses the header only: this is what lets a 20000x20000 PNG bomb be refused in milliseconds. No pixel
    // limit here, so the refusal below can say how big the image is.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw corrupt(format, error);
  }
  checkDimensions(format, metadata.width ?? 0, metadata.height ?? 0, maxPixels);
  // failOn "error" refuses truncated files and real decoding errors, but tolerates the warnings that many phones
  // and editors trigger (e.g. stray bytes before a JPEG marker) on files that display fine. limitInputPixels is a
  // second guard at decode time, in case the header checked is not the one decoded. Animated WebP/AVIF and
  // multi-page TIFF decode their first frame or page only (sharp's default).
  return finish(sharp(bytes, { failOn: "error", limitInputPixels: maxPixels }), format);
}
