import { SUPPORTED_IMAGE_EXTENSIONS } from "../engine/image/decode-image";

/** The asset types and extensions Magic Hour's upload API accepts for face detection (images: the engine's list). */
export const IMAGE_EXTENSIONS = SUPPORTED_IMAGE_EXTENSIONS;
export const VIDEO_EXTENSIONS = ["mp4", "m4v", "mov", "webm"] as const;

export type MediaKind = "image" | "video";

export function kindOfExtension(extension: string): MediaKind | null {
  const ext = extension.toLowerCase();
  if ((IMAGE_EXTENSIONS as readonly string[]).includes(ext)) return "image";
  if ((VIDEO_EXTENSIONS as readonly string[]).includes(ext)) return "video";
  return null;
}

export const ALL_EXTENSIONS: readonly string[] = [...IMAGE_EXTENSIONS, ...VIDEO_EXTENSIONS];

const CONTENT_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  jfif: "image/jpeg",
  heic: "image/heic",
  heif: "image/heif",
  webp: "image/webp",
  avif: "image/avif",
  jp2: "image/jp2",
  tiff: "image/tiff",
  tif: "image/tiff",
  bmp: "image/bmp",
  mp4: "video/mp4",
  m4v: "video/x-m4v",
  mov: "video/quicktime",
  webm: "video/webm",
};

export function contentTypeOf(extension: string): string {
  return CONTENT_TYPES[extension.toLowerCase()] ?? "application/octet-stream";
}

export { sniffVideo } from "../engine/video/sniff-video";
