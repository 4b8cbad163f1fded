import sharp, { type OutputInfo, type Sharp } from "sharp";
import type { ImageFormat } from "../../media/media-types";
import { corrupt, ImageDecodeError } from "./image-decode-error";

export interface DecodedImage {
  /** Interleaved RGB, 8 bits per channel, row-major, no padding: width * height * 3 bytes. */
  data: Buffer;
  width: number;
  height: number;
  /** The format found in the content (never "heif": that is resolved to "avif" or "heic"). */
  format: string;
}

/** What transparent pixels are composited onto. White, as the image would look on a page or in a viewer. */
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

/**
 * The finishing step every decoder ends with, so alpha, grey and colour are handled the same for every format.
 * Both sharp-decoded files and raw pixels from the fallback decoders end here:
 * - rotate(): applies the EXIF/TIFF orientation, so what comes out is upright as a viewer would show it.
 * - flatten(): composites any alpha onto white instead of dropping it; dropped alpha exposes whatever colour the
 *   encoder left under fully transparent pixels (often black), which a detector would see as content.
 * - toColourspace("srgb"): grey becomes three equal channels, CMYK and embedded ICC profiles are converted.
 * - raw({ depth: "uchar" }): 16-bit inputs (PNG, TIFF) are scaled to 8 bits.
 */
export async function finish(pipeline: Sharp, format: ImageFormat): Promise<DecodedImage> {
  let output: { data: Buffer; info: OutputInfo };
  try {
    output = await pipeline
      .rotate()
      .flatten({ background: FLATTEN_BACKGROUND })
      .toColourspace("srgb")
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (isPixelLimitError(error)) throw tooManyPixelsFromSharp(error);
    throw corrupt(format, error);
  }
  const { data, info } = output;
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    // Not expected from the pipeline above; checked so a silent change in sharp cannot hand a detector
    // misinterpreted memory.
    throw corrupt(
      format,
      new Error(`unexpected decoder output: ${info.width}x${info.height}x${info.channels}`),
    );
  }
  return { data, width: info.width, height: info.height, format };
}

function isPixelLimitError(error: unknown): boolean {
  return error instanceof Error && /pixel limit/i.test(error.message);
}

function tooManyPixelsFromSharp(error: unknown): ImageDecodeError {
  return new ImageDecodeError("too_many_pixels", "The image has more pixels than the limit allows.", {
    cause: error,
  });
}

/** Raw interleaved pixels from a fallback decoder, handed to sharp so the finishing step is the same. */
export function finishRaw(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  format: ImageFormat,
): Promise<DecodedImage> {
  // limitInputPixels: false because the cap was enforced on the header dimensions already.
  const input = sharp(pixels, { raw: { width, height, channels }, limitInputPixels: false });
  return finish(input, format);
}
