import { decodeOffThread } from "./decode-off-thread";
import type { DecodedImage } from "./finish-pixels";
import { checkDimensions, corrupt } from "./image-decode-error";

/**
 * BMP: decoded by bmpimagejs, a pure JavaScript port of NetSurf's libnsbmp, in the decoder worker (libvips only
 * reads BMP through ImageMagick, which prebuilt sharp does not include). The header is checked here first: the
 * decoder sizes its output from the header, not from the data.
 */

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

export function decodeBmp(bytes: Buffer, maxPixels: number): Promise<DecodedImage> {
  const header = readBmpHeader(bytes, maxPixels);
  return decodeOffThread("bmp", "bmp", bytes, header, maxPixels);
}
