import { ascii, fileTypeBrands } from "./iso-bmff";
import { extensionOfFormat, type ImageFormat, type MediaKind, type VideoContainer } from "./media-types";

/**
 * The one sniffer for every medium: what a file is, judged from its first bytes alone. The file name or
 * Content-Type of an upload says nothing reliable about its content. Images are recognised first and a file that
 * is an image is never a video, although a HEIC photo and an MP4 video share the ISO-BMFF container.
 */

export function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, i) => bytes[offset + i] === value);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
/** SOC marker then SIZ marker: every JPEG 2000 codestream starts like this. */
export const J2K_SIGNATURE = [0xff, 0x4f, 0xff, 0x51];
const EBML_SIGNATURE = [0x1a, 0x45, 0xdf, 0xa3];

/** HEIF brands, from ISO/IEC 23008-12 and the AVIF specification. */
const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIC_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"]);
/** Codec-neutral HEIF brands: the codec has to be read from the item properties. */
const GENERIC_HEIF_BRANDS = new Set(["mif1", "msf1", "mif2", "miaf"]);

/**
 * Classifies an ISO-BMFF file by its ftyp box. MP4, MOV and CR3 files share the container and are not HEIF here
 * because their major brand is not a HEIF brand.
 */
function sniffHeifFamily(bytes: Uint8Array): "avif" | "heic" | "heif" | null {
  const brands = fileTypeBrands(bytes);
  if (!brands) return null;
  const { major, compatible } = brands;
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
 * formats (GIF, SVG, PDF, JPEG XL, MP4, text, ... all give null).
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
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

/** Top-level box types a QuickTime or MP4 file starts with (old QuickTime files have no ftyp). */
const ISO_BMFF_FIRST_BOXES = new Set(["ftyp", "moov", "mdat", "wide", "free", "skip"]);

/**
 * The video container of `bytes`: ISO BMFF (mp4, m4v, mov) or Matroska/WebM, or null. An ISO-BMFF file whose
 * brands make it a HEIF image (HEIC, AVIF, an image sequence) is an image, not a video.
 */
export function sniffVideo(bytes: Uint8Array): VideoContainer | null {
  if (bytes.length >= 12 && ISO_BMFF_FIRST_BOXES.has(ascii(bytes, 4, 8))) {
    return sniffHeifFamily(bytes) ? null : "mp4";
  }
  if (startsWith(bytes, EBML_SIGNATURE)) return "webm";
  return null;
}

export type SniffedMedia = { kind: "image"; format: ImageFormat } | { kind: "video"; format: VideoContainer };

/** What `bytes` are, images first; null when they are no medium this product reads. */
export function sniffMedia(bytes: Uint8Array): SniffedMedia | null {
  const image = sniffImageFormat(bytes);
  if (image) return { kind: "image", format: image };
  const video = sniffVideo(bytes);
  return video ? { kind: "video", format: video } : null;
}

/**
 * The extension a file of `kind` is stored under, judged from its first bytes; null when the content is not that
 * kind of media (whatever its name said).
 */
export function extensionFromContent(head: Uint8Array, kind: MediaKind): string | null {
  const media = sniffMedia(head);
  return media?.kind === kind ? extensionOfFormat(media.format) : null;
}
