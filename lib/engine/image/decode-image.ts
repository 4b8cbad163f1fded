/**
 * Turns the bytes of an uploaded image into upright, 8-bit, 3-channel RGB pixels.
 *
 * Accepts exactly the image types Magic Hour's face-detection API accepts (IMAGE_EXTENSIONS in
 * lib/media/media-types.ts). The real format is sniffed from the leading bytes (lib/media/sniff-media.ts): the file
 * name or Content-Type of an upload says nothing reliable about its content.
 *
 * Who decodes what (one module each):
 * - jpeg/jfif, png, webp, tiff, avif (and HEIF files whose codec is AV1): sharp (decode-with-sharp.ts).
 * - heic (HEIF with HEVC): libheif-js (decode-heif.ts).
 * - jp2 and j2k: OpenJPEG from pdfjs-dist (decode-jpeg2000.ts).
 * - bmp: bmpimagejs (decode-bmp.ts).
 * The last three run in a worker thread (decode-off-thread.ts) and produce raw pixels, which then go through sharp
 * like everything else (finish-pixels.ts), so alpha, grey and colour handling are the same for every format.
 *
 * Every path reads the image's dimensions from its header and enforces the pixel cap before it decodes any pixel
 * data, so a small file that declares an enormous image (a "decompression bomb") is refused quickly, with little
 * memory.
 */
import { sniffImageFormat } from "../../media/sniff-media";
import { decodeBmp } from "./decode-bmp";
import { decodeHeifFamily } from "./decode-heif";
import { decodeJpeg2000 } from "./decode-jpeg2000";
import { decodeWithSharp } from "./decode-with-sharp";
import type { DecodedImage } from "./finish-pixels";
import { unsupported } from "./image-decode-error";

// What callers of the decoder handle: its result and its one error type.
export type { DecodedImage } from "./finish-pixels";
export { ImageDecodeError, type ImageDecodeErrorCode } from "./image-decode-error";

/** 50 megapixels: above any phone photo (a 48 MP sensor is 8064x6048 = 48.8 MP) and below a decoding bomb. */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * Decodes an uploaded image into upright 8-bit RGB.
 *
 * @throws ImageDecodeError with code "unsupported_format" (not one of IMAGE_EXTENSIONS by content),
 *   "too_many_pixels" (width * height above `maxPixels`, default 50 MP, refused from the header before decoding)
 *   or "corrupt" (truncated or damaged file).
 */
export async function decodeImage(bytes: Buffer, opts: { maxPixels?: number } = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new RangeError(`maxPixels must be a positive number, got ${maxPixels}`);

  const format = sniffImageFormat(bytes);
  switch (format) {
    case null:
      throw unsupported();
    case "avif":
    case "heic":
    case "heif":
      return decodeHeifFamily(bytes, format, maxPixels);
    case "jp2":
    case "j2k":
      return decodeJpeg2000(bytes, format, maxPixels);
    case "bmp":
      return decodeBmp(bytes, maxPixels);
    default:
      return decodeWithSharp(bytes, format, maxPixels);
  }
}
