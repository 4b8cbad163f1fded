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
 * The WebAssembly decoders run synchronously on the calling thread: a 12-megapixel HEIC blocks the event loop for
 * about a second. They are loaded on first use, so a process that never sees a HEIC, JPEG 2000 or BMP file never
 * pays for loading them.
 */
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";

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
// HEIC: libheif-js

type LibheifModule = import("libheif-js/libheif-wasm/libheif-bundle.js").LibheifModule;

let libheif: LibheifModule | undefined;

/** Above this much WebAssembly memory the instance is dropped after use: wasm memory grows but never shrinks. */
const WASM_HEAP_RELEASE_BYTES = 512 * 1024 * 1024;

async function loadLibheif(): Promise<LibheifModule> {
  if (!libheif) {
    // The "bundle" build carries its .wasm inline, so nothing is read from disk or network at run time and
    // bundlers have no separate asset to lose. It instantiates synchronously (about 60 ms).
    const { default: createLibheif } = await import("libheif-js/libheif-wasm/libheif-bundle.js");
    const instance = createLibheif();
    await instance.ready;
    libheif = instance;
  }
  return libheif;
}

function isHeifError(value: unknown): value is import("libheif-js/libheif-wasm/libheif-bundle.js").HeifError {
  return typeof value === "object" && value !== null && "code" in value && value.code !== undefined;
}

/** heif_error_code values for "this is a valid file that uses something libheif cannot decode". */
const HEIF_UNSUPPORTED_CODES = new Set([3 /* Unsupported_filetype */, 4 /* Unsupported_feature */]);

function heifFailure(error: import("libheif-js/libheif-wasm/libheif-bundle.js").HeifError): ImageDecodeError {
  const cause = new Error(`libheif: ${error.message}`);
  return HEIF_UNSUPPORTED_CODES.has(error.code.value) ? unsupported(cause) : corrupt("heic", cause);
}

async function decodeHeic(bytes: Buffer, maxPixels: number): Promise<DecodedImage> {
  const lib = await loadLibheif();
  let pixels: Buffer;
  let width: number;
  let height: number;
  let channels: 3 | 4;
  try {
    const context = lib.heif_context_alloc();
    try {
      const readError = lib.heif_context_read_from_memory(context, bytes);
      if (readError.code.value !== 0) throw heifFailure(readError);
      // The primary image is the photo; a HEIC can also hold thumbnails, depth maps and burst frames.
      const handle = lib.heif_js_context_get_primary_image_handle(context);
      if (isHeifError(handle)) throw heifFailure(handle);
      try {
        // Handle dimensions come from the container (ispe, after rotation): nothing is decoded yet.
        width = lib.heif_image_handle_get_width(handle);
        height = lib.heif_image_handle_get_height(handle);
        checkDimensions("heic", width, height, maxPixels);
        channels = lib.heif_image_handle_has_alpha_channel(handle) ? 4 : 3;
        // libheif applies the container's transformations (irot rotation, imir mirror, clap crop), which is
        // how iPhones store portrait photos. The EXIF orientation inside a HEIC must not be applied on top
        // (HEIF spec), and it is not: raw pixels reach sharp without EXIF.
        const image = lib.heif_js_decode_image2(
          handle,
          lib.heif_colorspace.heif_colorspace_RGB,
          channels === 4
            ? lib.heif_chroma.heif_chroma_interleaved_RGBA
            : lib.heif_chroma.heif_chroma_interleaved_RGB,
        );
        if (isHeifError(image)) throw heifFailure(image);
        try {
          const plane = image.channels.find(
            (channel) => channel.id === lib.heif_channel.heif_channel_interleaved,
          );
          if (!plane || plane.width !== width || plane.height !== height) {
            throw corrupt("heic", new Error("libheif returned no interleaved plane of the expected size"));
          }
          pixels = copyRows(plane.data, plane.stride, width * channels, height);
        } finally {
          lib.heif_image_release(image.image);
        }
      } finally {
        lib.heif_image_handle_release(handle);
      }
    } finally {
      lib.heif_context_free(context);
    }
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    // Anything else came out of the WebAssembly runtime (abort, out of memory): the instance may be in a broken
    // state, so the next HEIC gets a fresh one.
    libheif = undefined;
    throw corrupt("heic", error);
  } finally {
    if (libheif && libheif.HEAPU8.length > WASM_HEAP_RELEASE_BYTES) libheif = undefined;
  }
  return finishRaw(pixels, width, height, channels, "heic");
}

/** Copies `rows` rows of `rowBytes` bytes out of a buffer whose rows are `stride` bytes apart. */
function copyRows(source: Uint8Array, stride: number, rowBytes: number, rows: number): Buffer {
  if (stride === rowBytes) return Buffer.from(source.subarray(0, rowBytes * rows));
  const out = Buffer.allocUnsafe(rowBytes * rows);
  for (let y = 0; y < rows; y++) out.set(source.subarray(y * stride, y * stride + rowBytes), y * rowBytes);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// JPEG 2000: OpenJPEG (wasm) from pdfjs-dist

interface Jpeg2000Header {
  width: number;
  height: number;
  components: number;
}

/** Reads the SIZ marker segment that follows SOC at `start`. */
function readSizMarker(bytes: Buffer, start: number, format: ImageFormat): Jpeg2000Header {
  // SOC(2) SIZ(2) Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4) XTsiz(4) YTsiz(4) XTOsiz(4) YTOsiz(4) Csiz(2)
  if (start + 42 > bytes.length || !startsWith(bytes, J2K_SIGNATURE, start)) {
    throw corrupt(format, new Error("no SIZ marker where the codestream should start"));
  }
  const xsiz = bytes.readUInt32BE(start + 8);
  const ysiz = bytes.readUInt32BE(start + 12);
  const xosiz = bytes.readUInt32BE(start + 16);
  const yosiz = bytes.readUInt32BE(start + 20);
  const components = bytes.readUInt16BE(start + 40);
  return { width: xsiz - xosiz, height: ysiz - yosiz, components };
}

/**
 * Finds the codestream box (jp2c) of a JP2 file and reads its SIZ marker. Boxes are walked properly instead of
 * scanning for the SIZ bytes, which could also occur inside an ICC profile or XML box.
 */
function readJp2Header(bytes: Buffer): Jpeg2000Header {
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
    if (type === "jp2c") return readSizMarker(bytes, offset + headerLength, "jp2");
    offset += length;
  }
  throw corrupt("jp2", new Error("no codestream box (jp2c) found"));
}

type PdfjsImageDecoders = typeof import("pdfjs-dist/image_decoders/pdf.image_decoders.mjs");

let pdfjsDecoders: Promise<PdfjsImageDecoders> | undefined;

function loadJpxDecoder(): Promise<PdfjsImageDecoders> {
  pdfjsDecoders ??= import("pdfjs-dist/image_decoders/pdf.image_decoders.mjs").then((decoders) => {
    // pdf.js logs OpenJPEG warnings with console.log; decoding errors still throw JpxError.
    decoders.setVerbosityLevel(decoders.VerbosityLevel.ERRORS);
    return decoders;
  });
  return pdfjsDecoders;
}

async function decodeJpeg2000(
  bytes: Buffer,
  format: "jp2" | "j2k",
  maxPixels: number,
): Promise<DecodedImage> {
  const header = format === "jp2" ? readJp2Header(bytes) : readSizMarker(bytes, 0, format);
  checkDimensions(format, header.width, header.height, maxPixels);
  if (header.components < 1) throw corrupt(format, new Error("no image components"));

  const { JpxImage } = await loadJpxDecoder();
  // pdf.js's OpenJPEG wrapper outputs 1 (grey), 3 (RGB) or 4 (RGBA) 8-bit channels; it scales higher bit depths
  // down and applies the codestream's colour transform. Grey+alpha is asked for as grey: the wrapper has no
  // grey+alpha output, so that rare case loses its transparency instead of failing.
  const wanted = header.components >= 4 ? 4 : header.components === 3 ? 3 : 1;
  let pixels: Uint8ClampedArray | null | undefined;
  try {
    pixels = JpxImage.decode(bytes, { numComponents: wanted });
  } catch (error) {
    throw corrupt(format, error);
  } finally {
    // Drops the OpenJPEG instance so its grown WebAssembly memory can be collected. Re-creating it costs a few
    // milliseconds, against hundreds of megabytes held after a large image.
    JpxImage.cleanup();
  }
  const pixelCount = header.width * header.height;
  const channels = pixels ? pixels.length / pixelCount : 0;
  if (!pixels || (channels !== 1 && channels !== 3 && channels !== 4)) {
    throw corrupt(
      format,
      new Error(`OpenJPEG returned ${pixels?.length ?? 0} bytes for ${pixelCount} pixels`),
    );
  }
  return finishRaw(pixels, header.width, header.height, channels, format);
}

// ---------------------------------------------------------------------------------------------------------------
// BMP: bmpimagejs

interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  /** Whether the header declares an alpha channel mask (V3 and later info headers, or BI_ALPHABITFIELDS). */
  declaresAlpha: boolean;
}

function readBmpHeader(bytes: Buffer): BmpHeader {
  const dibSize = bytes.readUInt32LE(14);
  if (dibSize === 12) {
    // OS/2 BITMAPCOREHEADER: 16-bit dimensions.
    if (bytes.length < 26) throw corrupt("bmp", new Error("truncated header"));
    return {
      width: bytes.readUInt16LE(18),
      height: Math.abs(bytes.readInt16LE(20)),
      bitsPerPixel: bytes.readUInt16LE(24),
      declaresAlpha: false,
    };
  }
  if (bytes.length < 54) throw corrupt("bmp", new Error("truncated header"));
  const compression = bytes.readUInt32LE(30);
  // A negative height means the rows are stored top-down; the image is just as tall.
  const height = Math.abs(bytes.readInt32LE(22));
  // The red, green, blue and alpha masks follow the 40-byte core of the info header (offsets 54, 58, 62, 66):
  // inside the header from V3 on, or right after it with BI_ALPHABITFIELDS (6).
  const hasAlphaMaskField = (dibSize >= 56 || compression === 6) && bytes.length >= 70;
  const alphaMask = hasAlphaMaskField ? bytes.readUInt32LE(66) : 0;
  return {
    width: bytes.readInt32LE(18),
    height,
    bitsPerPixel: bytes.readUInt16LE(28),
    declaresAlpha: alphaMask !== 0,
  };
}

async function decodeBmp(bytes: Buffer, maxPixels: number): Promise<DecodedImage> {
  const header = readBmpHeader(bytes);
  checkDimensions("bmp", header.width, header.height, maxPixels);

  const { decode } = await import("bmpimagejs");
  let image: { width: number; height: number; pixels: Uint8ClampedArray };
  try {
    // bmpimagejs reads through a DataView on the ArrayBuffer from offset 0, so it needs a buffer of its own,
    // not a view into Node's shared Buffer pool.
    const own = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    image = decode(own);
  } catch (error) {
    throw corrupt("bmp", error);
  }
  const { width, height, pixels } = image;
  if (width !== header.width || height !== header.height || pixels.length !== width * height * 4) {
    throw corrupt(
      "bmp",
      new Error(`decoder returned ${width}x${height} for a ${header.width}x${header.height} header`),
    );
  }
  // bmpimagejs always returns RGBA; it makes pixels opaque unless the header has an alpha mask. Many writers
  // declare an alpha mask and leave it all zero; treated literally, that makes a fully transparent (white) image.
  // Browsers show such files opaque, and so do we. Alpha is only honoured in 32-bit files, where it is common
  // enough to matter; 16-bit ARGB1555 files are read as opaque.
  const useAlpha = header.declaresAlpha && header.bitsPerPixel === 32 && hasNonZeroAlpha(pixels);
  return finishRaw(useAlpha ? pixels : rgbaToRgb(pixels), width, height, useAlpha ? 4 : 3, "bmp");
}

function hasNonZeroAlpha(rgba: Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 0) return true;
  return false;
}

function rgbaToRgb(rgba: Uint8ClampedArray): Buffer {
  const pixelCount = rgba.length / 4;
  const rgb = Buffer.allocUnsafe(pixelCount * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i] ?? 0;
    rgb[o + 1] = rgba[i + 1] ?? 0;
    rgb[o + 2] = rgba[i + 2] ?? 0;
  }
  return rgb;
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
