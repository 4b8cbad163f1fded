import type { ImageFormat } from "../../media/media-types";
import { type DecodedImage, finishRaw } from "./finish-pixels";
import { checkDimensions, corrupt, refusedByDecoder, unsupported } from "./image-decode-error";
import {
  OffThreadFailure,
  type OffThreadKind,
  type OffThreadPixels,
  sharedImageDecoder,
} from "./image-decoder";

/**
 * HEIC, JPEG 2000 and BMP decoders run synchronously for seconds on a large image (a 49-megapixel HEIC: 2.7 s), so
 * they run in a worker thread with its own memory and time limits (image-decoder.ts), one image at a time. The
 * caller has checked the header first, every field that sizes an allocation, so the worker only ever gets an image
 * within the limits. Returns the worker's pixels finished like any other, or its failure as an ImageDecodeError.
 */
export async function decodeOffThread(
  kind: OffThreadKind,
  format: ImageFormat,
  bytes: Buffer,
  header: object,
  maxPixels: number,
): Promise<DecodedImage> {
  let result: OffThreadPixels;
  try {
    result = await sharedImageDecoder().decode(kind, bytes, header, maxPixels);
  } catch (error) {
    if (!(error instanceof OffThreadFailure)) throw error;
    if (error.code === "dimensions") {
      checkDimensions(format, error.width, error.height, maxPixels);
      throw corrupt(format, error);
    }
    if (error.code === "unsupported_format") throw unsupported(error);
    if (error.code === "limit") throw refusedByDecoder(format, error.message, error);
    throw corrupt(format, error);
  }
  return finishRaw(result.pixels, result.width, result.height, result.channels, format);
}
