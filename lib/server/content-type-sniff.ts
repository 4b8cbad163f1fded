import { type ImageFormat, sniffImageFormat } from "../engine/image/decode-image";
import { sniffVideo } from "../engine/video/sniff-video";
import type { MediaKind } from "./media";

const IMAGE_EXTENSION: Record<ImageFormat, string> = {
  jpeg: "jpg",
  png: "png",
  webp: "webp",
  tiff: "tiff",
  avif: "avif",
  heic: "heic",
  heif: "heif",
  jp2: "jp2",
  j2k: "jp2",
  bmp: "bmp",
};

/**
 * The extension a file of `kind` is stored under, judged from its first bytes; null when the content is not that
 * kind of media (whatever its name said).
 */
export function extensionFromContent(head: Buffer, kind: MediaKind): string | null {
  if (kind === "image") {
    const format = sniffImageFormat(head);
    return format ? IMAGE_EXTENSION[format] : null;
  }
  return sniffVideo(head);
}
