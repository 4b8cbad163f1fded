import { findBox } from "../../media/iso-bmff";
import { J2K_SIGNATURE, startsWith } from "../../media/sniff-media";
import { decodeOffThread } from "./decode-off-thread";
import type { DecodedImage } from "./finish-pixels";
import { checkDimensions, corrupt, ImageDecodeError } from "./image-decode-error";

/**
 * JPEG 2000, as a JP2 container or a bare codestream (j2k): decoded by OpenJPEG in WebAssembly, as shipped by
 * pdf.js in pdfjs-dist's image_decoders bundle (prebuilt sharp is built without OpenJPEG), in the decoder worker.
 * The header is checked here first, every field that sizes one of OpenJPEG's allocations.
 */

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
  const codestream = findBox(bytes, "jp2c");
  if (!codestream) throw corrupt("jp2", new Error("no codestream box (jp2c) found"));
  return readJpeg2000Header(bytes, codestream.start, codestream.end, "jp2", maxPixels);
}

export function decodeJpeg2000(
  bytes: Buffer,
  format: "jp2" | "j2k",
  maxPixels: number,
): Promise<DecodedImage> {
  const header =
    format === "jp2"
      ? readJp2Header(bytes, maxPixels)
      : readJpeg2000Header(bytes, 0, bytes.length, format, maxPixels);
  return decodeOffThread("jpx", format, bytes, header, maxPixels);
}
