// The WebAssembly and pure-JavaScript image decoders (HEIC: libheif-js, JPEG 2000: pdf.js's OpenJPEG, BMP:
// bmpimagejs), in a worker thread: they run synchronously for seconds on a large image, which on the server's main
// thread stalls every request. Plain JavaScript so that the production server can start it from the source tree
// (see image-decoder.ts). One job at a time; the main thread checks the headers before sending anything here.
import { parentPort } from "node:worker_threads";

let libheif;

async function loadLibheif() {
  if (!libheif) {
    const { default: createLibheif } = await import("libheif-js/libheif-wasm/libheif-bundle.js");
    const instance = createLibheif();
    await instance.ready;
    libheif = instance;
  }
  return libheif;
}

let jpx;

async function loadJpx() {
  if (!jpx) {
    const decoders = await import("pdfjs-dist/image_decoders/pdf.image_decoders.mjs");
    // pdf.js logs OpenJPEG warnings with console.log; decoding errors still throw JpxError.
    decoders.setVerbosityLevel(decoders.VerbosityLevel.ERRORS);
    jpx = decoders.JpxImage;
  }
  return jpx;
}

/** A failure the main thread turns into an ImageDecodeError. */
class Failure extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }
}

/** heif_error_code values for "this is a valid file that uses something libheif cannot decode". */
const HEIF_UNSUPPORTED_CODES = new Set([3 /* Unsupported_filetype */, 4 /* Unsupported_feature */]);

function isHeifError(value) {
  return typeof value === "object" && value !== null && "code" in value && value.code !== undefined;
}

function heifFailure(error) {
  return new Failure(
    HEIF_UNSUPPORTED_CODES.has(error.code.value) ? "unsupported_format" : "corrupt",
    error.message,
  );
}

/** Copies `rows` rows of `rowBytes` bytes out of a buffer whose rows are `stride` bytes apart, into memory of its own. */
function copyRows(source, stride, rowBytes, rows) {
  const out = new Uint8Array(rowBytes * rows);
  if (stride === rowBytes) out.set(source.subarray(0, rowBytes * rows));
  else
    for (let y = 0; y < rows; y++) out.set(source.subarray(y * stride, y * stride + rowBytes), y * rowBytes);
  return out;
}

async function decodeHeic(bytes, maxPixels) {
  const lib = await loadLibheif();
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
        const width = lib.heif_image_handle_get_width(handle);
        const height = lib.heif_image_handle_get_height(handle);
        if (!(width > 0 && height > 0) || width * height > maxPixels) {
          throw new Failure("dimensions", "refused from the header", { width, height });
        }
        const channels = lib.heif_image_handle_has_alpha_channel(handle) ? 4 : 3;
        // libheif applies the container's transformations (irot rotation, imir mirror, clap crop), which is how
        // iPhones store portrait photos. The EXIF orientation inside a HEIC must not be applied on top (HEIF
        // spec), and it is not: raw pixels reach sharp without EXIF.
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
            throw new Failure("corrupt", "libheif returned no interleaved plane of the expected size");
          }
          return {
            pixels: copyRows(plane.data, plane.stride, width * channels, height),
            width,
            height,
            channels,
          };
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
    if (error instanceof Failure) throw error;
    // Anything else came out of the WebAssembly runtime (abort, out of memory): the instance may be broken.
    libheif = undefined;
    throw new Failure("corrupt", String(error?.message ?? error));
  }
}

async function decodeJpx(bytes, { width, height, components }) {
  const JpxImage = await loadJpx();
  // pdf.js's OpenJPEG wrapper outputs 1 (grey), 3 (RGB) or 4 (RGBA) 8-bit channels; it scales higher bit depths
  // down and applies the codestream's colour transform. Grey+alpha is asked for as grey: the wrapper has no
  // grey+alpha output, so that rare case loses its transparency instead of failing.
  const wanted = components >= 4 ? 4 : components === 3 ? 3 : 1;
  let pixels;
  try {
    pixels = JpxImage.decode(bytes, { numComponents: wanted });
  } catch (error) {
    throw new Failure("corrupt", String(error?.message ?? error));
  } finally {
    // Drops the OpenJPEG instance so its grown WebAssembly memory can be collected.
    JpxImage.cleanup();
  }
  const channels = pixels ? pixels.length / (width * height) : 0;
  if (!pixels || (channels !== 1 && channels !== 3 && channels !== 4)) {
    throw new Failure(
      "corrupt",
      `OpenJPEG returned ${pixels?.length ?? 0} bytes for ${width * height} pixels`,
    );
  }
  return { pixels: ownBytes(pixels), width, height, channels };
}

async function decodeBmp(bytes, { width: headerWidth, height: headerHeight, declaresAlpha, bitsPerPixel }) {
  const { decode } = await import("bmpimagejs");
  let image;
  try {
    // bmpimagejs reads through a DataView on the ArrayBuffer from offset 0, so it needs a buffer of its own.
    image = decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } catch (error) {
    throw new Failure("corrupt", String(error?.message ?? error));
  }
  const { width, height, pixels } = image;
  if (width !== headerWidth || height !== headerHeight || pixels.length !== width * height * 4) {
    throw new Failure(
      "corrupt",
      `decoder returned ${width}x${height} for a ${headerWidth}x${headerHeight} header`,
    );
  }
  // bmpimagejs always returns RGBA; it makes pixels opaque unless the header has an alpha mask. Many writers
  // declare an alpha mask and leave it all zero; treated literally, that makes a fully transparent (white) image.
  // Browsers show such files opaque, and so do we. Alpha is only honoured in 32-bit files, where it is common
  // enough to matter; 16-bit ARGB1555 files are read as opaque.
  const useAlpha = declaresAlpha && bitsPerPixel === 32 && hasNonZeroAlpha(pixels);
  return useAlpha
    ? { pixels: ownBytes(pixels), width, height, channels: 4 }
    : { pixels: rgbaToRgb(pixels), width, height, channels: 3 };
}

function hasNonZeroAlpha(rgba) {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 0) return true;
  return false;
}

function rgbaToRgb(rgba) {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i];
    rgb[o + 1] = rgba[i + 1];
    rgb[o + 2] = rgba[i + 2];
  }
  return rgb;
}

/** A Uint8Array that owns its whole ArrayBuffer, so it can be transferred instead of copied. */
function ownBytes(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

const DECODERS = { heic: decodeHeic, jpx: decodeJpx, bmp: decodeBmp };

parentPort.on("message", async ({ id, kind, bytes, header, maxPixels }) => {
  try {
    const decoder = DECODERS[kind];
    const result = await decoder(bytes, kind === "heic" ? maxPixels : header);
    parentPort.postMessage({ id, ...result }, [result.pixels.buffer]);
  } catch (error) {
    const failure =
      error instanceof Failure ? error : new Failure("corrupt", String(error?.message ?? error));
    parentPort.postMessage({ id, error: { code: failure.code, message: failure.message, ...failure.extra } });
  }
});
