/**
 * Turns the bytes of an uploaded image into upright, 8-bit, 3-channel RGB pixels.
 *
 * Accepts exactly the image types Magic Hour's face-detection API accepts (see SUPPORTED_IMAGE_EXTENSIONS).
 * The real format is sniffed from the leading bytes: the file name or Content-Type of an upload says nothing
 * reliable about its content.
 *
 * Who decodes what:
 * - jpeg/jfif, png, webp, tiff, avif (and HEIF files whose codec is AV1): sharp (libvips), straight from the bytes.
 * - heic (HEIF with HEVC): libheif-js (libheif + libde265 in WebAssembly). Prebuilt sharp has no HEVC decoder,
 *   because of the HEVC patent licensing, so it can read a HEIC's header but not its pixels.
 * - jp2 (JP2 container) and j2k (raw JPEG 2000 codestream): OpenJPEG in WebAssembly, as shipped by pdf.js in
 *   pdfjs-dist's image_decoders bundle. Prebuilt sharp is built without OpenJPEG.
 * - bmp: bmpimagejs, a pure JavaScript port of NetSurf's libnsbmp. libvips only reads BMP through ImageMagick,
 *   which prebuilt sharp does not include.
 * The three fallback decoders produce raw pixels, which then go through sharp like everything else, so alpha,
 * grey and colour handling are the same for every format.
 *
 * Every path reads the image's dimensions from its header and enforces the pixel cap before it decodes any pixel
 * data, so a small file that declares an enormous image (a "decompression bomb") is refused quickly, with little
 * memory.
 *
 * The three fallback decoders run synchronously for seconds on a large image (a 49-megapixel HEIC: 2.7 s), so they
 * run in a worker thread with its own memory and time limits (image-decoder.ts), one image at a time; the headers
 * are checked here first, every field that sizes an allocation, so the worker only ever gets an image within the
 * limits. The worker is started on first use.
 */
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import {
  OffThreadFailure,
  type OffThreadKind,
  type OffThreadPixels,
  sharedImageDecoder,
} from "./image-decoder";

/** File extensions Magic Hour accepts for face detection, in its own order. */
export const SUPPORTED_IMAGE_EXTENSIONS = [
  "png",
  "jpg",
  "jpeg",
  "jfif",
  "heic",
  "heif",
  "webp",
  "avif",
  "jp2",
  "tiff",
  "tif",
  "bmp",
] as const;

export type SupportedImageExtension = (typeof SUPPORTED_IMAGE_EXTENSIONS)[number];

/**
 * A format recognised from the content. "heif" is a HEIF container whose brands do not say which codec is
 * inside; decodeImage resolves it to "avif" or "heic" once it has read the header. "j2k" is a bare JPEG 2000
 * codestream, without the JP2 container.
 */
export type ImageFormat = "jpeg" | "png" | "webp" | "tiff" | "avif" | "heic" | "heif" | "jp2" | "j2k" | "bmp";

/** 50 megapixels: above any phone photo (a 48 MP sensor is 8064x6048 = 48.8 MP) and below a decoding bomb. */
export const DEFAULT_MAX_PIXELS = 50_000_000;

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

export interface DecodedImage {
  /** Interleaved RGB, 8 bits per channel, row-major, no padding: width * height * 3 bytes. */
  data: Buffer;
  width: number;
  height: number;
  /** The format found in the content (never "heif": that is resolved to "avif" or "heic"). */
  format: string;
}

export const UNSUPPORTED_FORMAT_MESSAGE = `Unsupported image format. Supported: ${SUPPORTED_IMAGE_EXTENSIONS.join(", ")}`;

/** What transparent pixels are composited onto. White, as the image would look on a page or in a viewer. */
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

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

// ---------------------------------------------------------------------------------------------------------------
// Sniffing

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, i) => bytes[offset + i] === value);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
/** SOC marker then SIZ marker: every JPEG 2000 codestream starts like this. */
const J2K_SIGNATURE = [0xff, 0x4f, 0xff, 0x51];

/** HEIF brands, from ISO/IEC 23008-12 and the AVIF specification. */
const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIC_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"]);
/** Codec-neutral HEIF brands: the codec has to be read from the item properties. */
const GENERIC_HEIF_BRANDS = new Set(["mif1", "msf1", "mif2", "miaf"]);

/**
 * Classifies an ISO-BMFF file by its ftyp box. MP4, MOV and CR3 files share the container and are rejected here
 * because their brands are not HEIF brands.
 */
function sniffHeifFamily(bytes: Uint8Array): "avif" | "heic" | "heif" | null {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== "ftyp") return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxEnd = Math.min(view.getUint32(0), bytes.length);
  const major = ascii(bytes, 8, 12);
  const compatible: string[] = [];
  for (let offset = 16; offset + 4 <= boxEnd; offset += 4) compatible.push(ascii(bytes, offset, offset + 4));

  if (AVIF_BRANDS.has(major)) return "avif";
  if (HEIC_BRANDS.has(major)) return "heic";
  if (!GENERIC_HEIF_BRANDS.has(major)) return null;
  if (compatible.some((brand) => AVIF_BRANDS.has(brand))) return "avif";
  if (compatible.some((brand) => HEIC_BRANDS.has(brand))) return "heic";
  return "heif";
}

/** BITMAPCOREHEADER, BITMAPINFOHEADER, V2, V3, OS/2 2.x, V4 and V5 header sizes. */
const BMP_DIB_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

function looksLikeBmp(bytes: Uint8Array): boolean {
  // "BM" alone is two ASCII letters that plenty of text files start with; the DIB header size pins it down.
  if (bytes.length < 26 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return BMP_DIB_HEADER_SIZES.has(view.getUint32(14, true));
}

/**
 * The image format of `bytes`, judged from the content alone, or null when it is not one of the supported
 * formats (GIF, SVG, PDF, JPEG XL, text, ... all give null).
 */
export function sniffImageFormat(bytes: Buffer): ImageFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return "tiff";
  }
  if (startsWith(bytes, JP2_SIGNATURE)) return "jp2";
  if (startsWith(bytes, J2K_SIGNATURE)) return "j2k";
  const heif = sniffHeifFamily(bytes);
  if (heif) return heif;
  if (looksLikeBmp(bytes)) return "bmp";
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors and limits

function corrupt(format: ImageFormat, cause?: unknown): ImageDecodeError {
  return new ImageDecodeError(
    "corrupt",
    `The ${FORMAT_LABELS[format]} image is corrupt or truncated and could not be decoded.`,
    { cause },
  );
}

function unsupported(cause?: unknown): ImageDecodeError {
  return new ImageDecodeError("unsupported_format", UNSUPPORTED_FORMAT_MESSAGE, { cause });
}

function formatPixels(pixels: number): string {
  if (pixels < 100_000) return `${pixels} pixels`;
  return `${(pixels / 1_000_000).toFixed(1).replace(/\.0$/, "")} megapixels`;
}

/** Refuses invalid or oversized dimensions; called with header dimensions, before any pixel is decoded. */
function checkDimensions(format: ImageFormat, width: number, height: number, maxPixels: number): void {
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

// ---------------------------------------------------------------------------------------------------------------
// Shared finishing step: any sharp input -> upright sRGB, 8 bits, 3 channels

/**
 * Both sharp-decoded files and raw pixels from the fallback decoders end here:
 * - rotate(): applies the EXIF/TIFF orientation, so what comes out is upright as a viewer would show it.
 * - flatten(): composites any alpha onto white instead of dropping it; dropped alpha exposes whatever colour the
 *   encoder left under fully transparent pixels (often black), which a detector would see as content.
 * - toColourspace("srgb"): grey becomes three equal channels, CMYK and embedded ICC profiles are converted.
 * - raw({ depth: "uchar" }): 16-bit inputs (PNG, TIFF) are scaled to 8 bits.
 */
async function finish(pipeline: Sharp, format: ImageFormat): Promise<DecodedImage> {
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
function finishRaw(
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

// ---------------------------------------------------------------------------------------------------------------
// sharp formats: JPEG, PNG, WebP, TIFF, AVIF

async function decodeWithSharp(bytes: Buffer, format: ImageFormat, maxPixels: number): Promise<DecodedImage> {
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

// ---------------------------------------------------------------------------------------------------------------
// HEIC, JPEG 2000, BMP: decoded in a worker thread (image-decoder.ts), after their headers are checked here

/** Pixels from the worker, or its failure as the ImageDecodeError the caller expects. */
async function decodeOffThread(
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
    if (error.code === "limit") {
      throw new ImageDecodeError(
        "corrupt",
        `The ${FORMAT_LABELS[format]} image could not be decoded: it ${error.message}.`,
        { cause: error },
      );
    }
    throw corrupt(format, error);
  }
  return finishRaw(result.pixels, result.width, result.height, result.channels, format);
}

function decodeHeic(bytes: Buffer, maxPixels: number): Promise<DecodedImage> {
  // libheif reads the container's dimensions (ispe) in the worker and refuses above maxPixels before decoding.
  return decodeOffThread("heic", "heic", bytes, {}, maxPixels);
}

// ---------------------------------------------------------------------------------------------------------------
// JPEG 2000 headers

export interface Jpeg2000Header {
  width: number;
  height: number;
  components: number;
}

/** Sample precision above this is refused: photos use 8 to 16 bits. */
const MAX_JPEG2000_PRECISION = 16;
/**
 * OpenJPEG sets up every tile before decoding any (about 13 KB each): 62,500 tiles of 28 × 28 px cost 800 MB for a
 * 100-byte file. The format allows 65,535; photos use one tile, or a few hundred of 256 px and more.
 */
const MAX_JPEG2000_TILES = 4096;
/** Grey, grey + alpha, RGB, RGBA: what the decoder can output. The format allows 16,384. */
const MAX_JPEG2000_COMPONENTS = 4;
const SOT = 0xff90;
const COD = 0xff52;

/**
 * Reads and checks the SIZ marker segment that follows SOC at `start`, then the main header's markers up to the
 * first tile. Every field that sizes an allocation in the decoder is checked here, before any decoding: the image
 * and tile sizes, the number of tiles, the number of components and their precision and subsampling, the
 * decomposition levels and code-block size; and a codestream without any tile data is refused (OpenJPEG would
 * still allocate the whole image for it).
 */
export function readJpeg2000Header(
  bytes: Buffer,
  start: number,
  end: number,
  format: "jp2" | "j2k",
  maxPixels: number,
): Jpeg2000Header {
  const fail = (why: string) => corrupt(format, new Error(why));
  // SOC(2) SIZ(2) Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4) XTsiz(4) YTsiz(4) XTOsiz(4) YTOsiz(4) Csiz(2),
  // then Ssiz, XRsiz, YRsiz per component.
  if (start + 42 > end || !startsWith(bytes, J2K_SIGNATURE, start)) {
    throw fail("no SIZ marker where the codestream should start");
  }
  const lsiz = bytes.readUInt16BE(start + 4);
  const [xsiz, ysiz, xosiz, yosiz, xtsiz, ytsiz, xtosiz, ytosiz] = [8, 12, 16, 20, 24, 28, 32, 36].map((at) =>
    bytes.readUInt32BE(start + at),
  ) as [number, number, number, number, number, number, number, number];
  const components = bytes.readUInt16BE(start + 40);
  const width = xsiz - xosiz;
  const height = ysiz - yosiz;
  checkDimensions(format, width, height, maxPixels);
  if (components < 1) throw fail("no image components");
  if (components > MAX_JPEG2000_COMPONENTS) {
    throw new ImageDecodeError(
      "unsupported_format",
      `The JPEG 2000 image has ${components} components; at most ${MAX_JPEG2000_COMPONENTS} (colour and transparency) are supported.`,
    );
  }
  if (lsiz !== 38 + 3 * components || start + 4 + lsiz > end) throw fail(`SIZ length ${lsiz} is wrong`);
  if (
    xtsiz < 1 ||
    ytsiz < 1 ||
    xtosiz > xosiz ||
    ytosiz > yosiz ||
    xtsiz + xtosiz <= xosiz ||
    ytsiz + ytosiz <= yosiz
  ) {
    throw fail("invalid tile grid");
  }
  const tiles = Math.ceil((xsiz - xtosiz) / xtsiz) * Math.ceil((ysiz - ytosiz) / ytsiz);
  if (tiles > MAX_JPEG2000_TILES) {
    throw new ImageDecodeError(
      "unsupported_format",
      `The JPEG 2000 image is cut into ${tiles} tiles; at most ${MAX_JPEG2000_TILES} are supported.`,
    );
  }
  for (let c = 0; c < components; c++) {
    const at = start + 42 + 3 * c;
    const precision = ((bytes[at] ?? 0) & 0x7f) + 1;
    if (precision > MAX_JPEG2000_PRECISION) {
      throw new ImageDecodeError(
        "unsupported_format",
        `The JPEG 2000 image has ${precision}-bit samples; at most ${MAX_JPEG2000_PRECISION} bits are supported.`,
      );
    }
    if ((bytes[at + 1] ?? 0) < 1 || (bytes[at + 2] ?? 0) < 1) throw fail("component subsampling of 0");
  }
  // The main header's marker segments, up to the first tile-part (SOT).
  let offset = start + 4 + lsiz;
  for (;;) {
    if (offset + 4 > end) throw fail("no tile data: the codestream ends after its header");
    const marker = bytes.readUInt16BE(offset);
    if (marker === SOT) break;
    const length = bytes.readUInt16BE(offset + 2);
    if (marker >>> 8 !== 0xff || length < 2 || offset + 2 + length > end) throw fail("broken main header");
    if (marker === COD) checkCodingStyle(bytes, offset + 4, length - 2, fail);
    offset += 2 + length;
  }
  return { width, height, components };
}

/** COD: Scod, progression order, layers (16 bits), MCT, then decomposition levels and code-block size exponents. */
function checkCodingStyle(bytes: Buffer, at: number, length: number, fail: (why: string) => Error): void {
  if (length < 10) throw fail("short COD segment");
  const layers = bytes.readUInt16BE(at + 2);
  const levels = bytes[at + 5] ?? 0;
  const xcb = (bytes[at + 6] ?? 0) + 2;
  const ycb = (bytes[at + 7] ?? 0) + 2;
  // Limits of the standard (ISO/IEC 15444-1 A.6.1): at most 32 levels, code-blocks of at most 4096 samples.
  if (layers < 1 || levels > 32 || xcb > 10 || ycb > 10 || xcb + ycb > 12) throw fail("invalid coding style");
}

/**
 * Finds the codestream box (jp2c) of a JP2 file and reads its header. Boxes are walked properly instead of scanning
 * for the SIZ bytes, which could also occur inside an ICC profile or XML box.
 */
function readJp2Header(bytes: Buffer, maxPixels: number): Jpeg2000Header {
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let length = bytes.readUInt32BE(offset);
    const type = ascii(bytes, offset + 4, offset + 8);
    let headerLength = 8;
    if (length === 1) {
      if (offset + 16 > bytes.length) break;
      length = Number(bytes.readBigUInt64BE(offset + 8));
      headerLength = 16;
    } else if (length === 0) {
      length = bytes.length - offset; // The last box runs to the end of the file.
    }
    if (length < headerLength) break;
    if (type === "jp2c") {
      const end = Math.min(bytes.length, offset + length);
      return readJpeg2000Header(bytes, offset + headerLength, end, "jp2", maxPixels);
    }
    offset += length;
  }
  throw corrupt("jp2", new Error("no codestream box (jp2c) found"));
}

function decodeJpeg2000(bytes: Buffer, format: "jp2" | "j2k", maxPixels: number): Promise<DecodedImage> {
  const header =
    format === "jp2"
      ? readJp2Header(bytes, maxPixels)
      : readJpeg2000Header(bytes, 0, bytes.length, format, maxPixels);
  return decodeOffThread("jpx", format, bytes, header, maxPixels);
}

// ---------------------------------------------------------------------------------------------------------------
// BMP headers

interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  /** Whether the header declares an alpha channel mask (V3 and later info headers, or BI_ALPHABITFIELDS). */
  declaresAlpha: boolean;
}

const BMP_BIT_DEPTHS = new Set([1, 2, 4, 8, 16, 24, 32]);
/** BI_RGB, BI_RLE8, BI_RLE4, BI_BITFIELDS, BI_ALPHABITFIELDS. */
const BMP_COMPRESSIONS = new Set([0, 1, 2, 3, 6]);

function readBmpHeader(bytes: Buffer, maxPixels: number): BmpHeader {
  const dibSize = bytes.readUInt32LE(14);
  let header: BmpHeader;
  let compression = 0;
  if (dibSize === 12) {
    // OS/2 BITMAPCOREHEADER: 16-bit dimensions.
    if (bytes.length < 26) throw corrupt("bmp", new Error("truncated header"));
    header = {
      width: bytes.readUInt16LE(18),
      height: Math.abs(bytes.readInt16LE(20)),
      bitsPerPixel: bytes.readUInt16LE(24),
      declaresAlpha: false,
    };
  } else {
    if (bytes.length < 54) throw corrupt("bmp", new Error("truncated header"));
    compression = bytes.readUInt32LE(30);
    // The red, green, blue and alpha masks follow the 40-byte core of the info header (offsets 54, 58, 62, 66):
    // inside the header from V3 on, or right after it with BI_ALPHABITFIELDS (6).
    const hasAlphaMaskField = (dibSize >= 56 || compression === 6) && bytes.length >= 70;
    const alphaMask = hasAlphaMaskField ? bytes.readUInt32LE(66) : 0;
    const colours = bytes.readUInt32LE(46);
    header = {
      width: bytes.readInt32LE(18),
      // A negative height means the rows are stored top-down; the image is just as tall.
      height: Math.abs(bytes.readInt32LE(22)),
      bitsPerPixel: bytes.readUInt16LE(28),
      declaresAlpha: alphaMask !== 0,
    };
    if (header.bitsPerPixel <= 8 && colours > 2 ** header.bitsPerPixel) {
      throw corrupt("bmp", new Error(`${colours} palette colours at ${header.bitsPerPixel} bits`));
    }
  }
  checkDimensions("bmp", header.width, header.height, maxPixels);
  if (!BMP_BIT_DEPTHS.has(header.bitsPerPixel) || !BMP_COMPRESSIONS.has(compression)) {
    throw corrupt("bmp", new Error(`${header.bitsPerPixel} bits per pixel, compression ${compression}`));
  }
  // Uncompressed rows must all be in the file: the decoder sizes its output from the header, not from the data.
  if (compression !== 1 && compression !== 2) {
    const rowBytes = Math.ceil((header.width * header.bitsPerPixel) / 32) * 4;
    const lastRow = Math.ceil((header.width * header.bitsPerPixel) / 8);
    if (bytes.readUInt32LE(10) + rowBytes * (header.height - 1) + lastRow > bytes.length) {
      throw corrupt("bmp", new Error("pixel data shorter than the header declares"));
    }
  }
  return header;
}

function decodeBmp(bytes: Buffer, maxPixels: number): Promise<DecodedImage> {
  const header = readBmpHeader(bytes, maxPixels);
  return decodeOffThread("bmp", "bmp", bytes, header, maxPixels);
}

// ---------------------------------------------------------------------------------------------------------------
// Entry point

/**
 * Decodes an uploaded image into upright 8-bit RGB.
 *
 * @throws ImageDecodeError with code "unsupported_format" (not one of SUPPORTED_IMAGE_EXTENSIONS by content),
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

/**
 * HEIF is a container: AVIF is HEIF with AV1 inside, HEIC is HEIF with HEVC inside. Brands say which only by
 * convention (and a generic "mif1" says nothing), so the decoder is chosen from the codec configuration
 * property of the items (av1C or hvcC), and brands are the fallback. sharp's own metadata is no help here: it
 * reports the codec from the brand too.
 */
async function decodeHeifFamily(bytes: Buffer, sniffed: "avif" | "heic" | "heif", maxPixels: number) {
  const codec = heifCodec(bytes) ?? (sniffed === "avif" ? "av1" : sniffed === "heic" ? "hevc" : null);
  if (codec === "av1") return decodeWithSharp(bytes, "avif", maxPixels);
  if (codec === "hevc") return decodeHeic(bytes, maxPixels);
  throw unsupported(new Error("HEIF file with neither an AV1 nor an HEVC image"));
}

/** Walks ISO-BMFF boxes: meta (a full box) > iprp > ipco, and looks for the AV1 or HEVC configuration box. */
function heifCodec(bytes: Buffer): "av1" | "hevc" | null {
  const children = (start: number, end: number): Array<{ type: string; start: number; end: number }> => {
    const boxes = [];
    let offset = start;
    while (offset + 8 <= end) {
      let size = bytes.readUInt32BE(offset);
      let headerSize = 8;
      if (size === 1 && offset + 16 <= end) {
        // 64-bit size, in practice only on a large mdat.
        size = Number(bytes.readBigUInt64BE(offset + 8));
        headerSize = 16;
      }
      const boxEnd = size === 0 ? end : offset + size;
      if (size !== 0 && size < headerSize) break; // malformed: stop walking
      boxes.push({
        type: ascii(bytes, offset + 4, offset + 8),
        start: offset + headerSize,
        end: Math.min(boxEnd, end),
      });
      offset = boxEnd;
    }
    return boxes;
  };
  const meta = children(0, bytes.length).find((b) => b.type === "meta");
  const iprp = meta && children(meta.start + 4, meta.end).find((b) => b.type === "iprp");
  const ipco = iprp && children(iprp.start, iprp.end).find((b) => b.type === "ipco");
  if (!ipco) return null;
  const types = new Set(children(ipco.start, ipco.end).map((b) => b.type));
  if (types.has("av1C")) return "av1";
  if (types.has("hvcC")) return "hevc";
  return null;
}
