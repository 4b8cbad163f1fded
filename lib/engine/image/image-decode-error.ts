import { IMAGE_EXTENSIONS, type ImageFormat } from "../../media/media-types";

export type ImageDecodeErrorCode = "unsupported_format" | "too_many_pixels" | "corrupt";

/**
 * The one error type decodeImage throws for bad input. `code` is stable and meant for API error mapping; the
 * message is meant for the person who uploaded the file. The decoder's own error, if any, is the `cause`.
 */
export class ImageDecodeError extends Error {
  override readonly name = "ImageDecodeError";
  readonly code: ImageDecodeErrorCode;

  constructor(code: ImageDecodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export const UNSUPPORTED_FORMAT_MESSAGE = `Unsupported image format. Supported: ${IMAGE_EXTENSIONS.join(", ")}`;

const FORMAT_LABELS: Record<ImageFormat, string> = {
  jpeg: "JPEG",
  png: "PNG",
  webp: "WebP",
  tiff: "TIFF",
  avif: "AVIF",
  heic: "HEIC",
  heif: "HEIF",
  jp2: "JPEG 2000",
  j2k: "JPEG 2000",
  bmp: "BMP",
};

export function corrupt(format: ImageFormat, cause?: unknown): ImageDecodeError {
  return new ImageDecodeError(
    "corrupt",
    `The ${FORMAT_LABELS[format]} image is corrupt or truncated and could not be decoded.`,
    { cause },
  );
}

/** A decoder refused to go on: `why` completes "it ...". */
export function refusedByDecoder(format: ImageFormat, why: string, cause?: unknown): ImageDecodeError {
  return new ImageDecodeError(
    "corrupt",
    `The ${FORMAT_LABELS[format]} image could not be decoded: it ${why}.`,
    {
      cause,
    },
  );
}

export function unsupported(cause?: unknown): ImageDecodeError {
  return new ImageDecodeError("unsupported_format", UNSUPPORTED_FORMAT_MESSAGE, { cause });
}

function formatPixels(pixels: number): string {
  if (pixels < 100_000) return `${pixels} pixels`;
  return `${(pixels / 1_000_000).toFixed(1).replace(/\.0$/, "")} megapixels`;
}

/** Refuses invalid or oversized dimensions; called with header dimensions, before any pixel is decoded. */
export function checkDimensions(format: ImageFormat, width: number, height: number, maxPixels: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw corrupt(format, new Error(`invalid dimensions ${width}x${height}`));
  }
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      "too_many_pixels",
      `The image is ${width}x${height} (${formatPixels(width * height)}), above the limit of ${formatPixels(maxPixels)}.`,
    );
  }
}
