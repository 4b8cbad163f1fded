/**
 * The one table of the media this product accepts: what the API takes, what the upload form offers, what stored
 * files are named and served as, and what the README lists all read it (media-types.test.ts keeps the README in
 * step). Plain data with no imports, so the browser bundle can read it too.
 *
 * The order of the image rows is Magic Hour's own (its error messages list them so). A file is recognised by its
 * content (sniff-media.ts), never by its extension: the extension only says what a URL or an upload claims to be.
 */

export type MediaKind = "image" | "video";

/** A format recognised from content (sniff-media.ts). "heif" is HEIF whose brands don't name the codec; "j2k" a bare JPEG 2000 codestream. */
export type ImageFormat = "jpeg" | "png" | "webp" | "tiff" | "avif" | "heic" | "heif" | "jp2" | "j2k" | "bmp";
export type VideoContainer = "mp4" | "webm";

/**
 * Who turns the file into pixels. For HEIF the content decides: HEVC inside goes to libheif-js, AV1 to sharp, read
 * from the codec configuration box (decode-heif.ts); the column names the usual case.
 */
export type Decoder = "sharp" | "libheif-js" | "openjpeg" | "bmpimagejs" | "ffmpeg";

export interface MediaType {
  extension: string;
  mime: string;
  kind: MediaKind;
  /** The content formats a file of this extension holds; the first row that lists a format names its stored files. */
  formats: readonly (ImageFormat | VideoContainer)[];
  decoder: Decoder;
}

export const MEDIA_TYPES = [
  { extension: "png", mime: "image/png", kind: "image", formats: ["png"], decoder: "sharp" },
  { extension: "jpg", mime: "image/jpeg", kind: "image", formats: ["jpeg"], decoder: "sharp" },
  { extension: "jpeg", mime: "image/jpeg", kind: "image", formats: ["jpeg"], decoder: "sharp" },
  { extension: "jfif", mime: "image/jpeg", kind: "image", formats: ["jpeg"], decoder: "sharp" },
  { extension: "heic", mime: "image/heic", kind: "image", formats: ["heic"], decoder: "libheif-js" },
  { extension: "heif", mime: "image/heif", kind: "image", formats: ["heif"], decoder: "libheif-js" },
  { extension: "webp", mime: "image/webp", kind: "image", formats: ["webp"], decoder: "sharp" },
  { extension: "avif", mime: "image/avif", kind: "image", formats: ["avif"], decoder: "sharp" },
  { extension: "jp2", mime: "image/jp2", kind: "image", formats: ["jp2", "j2k"], decoder: "openjpeg" },
  { extension: "tiff", mime: "image/tiff", kind: "image", formats: ["tiff"], decoder: "sharp" },
  { extension: "tif", mime: "image/tiff", kind: "image", formats: ["tiff"], decoder: "sharp" },
  { extension: "bmp", mime: "image/bmp", kind: "image", formats: ["bmp"], decoder: "bmpimagejs" },
  { extension: "mp4", mime: "video/mp4", kind: "video", formats: ["mp4"], decoder: "ffmpeg" },
  { extension: "m4v", mime: "video/x-m4v", kind: "video", formats: ["mp4"], decoder: "ffmpeg" },
  { extension: "mov", mime: "video/quicktime", kind: "video", formats: ["mp4"], decoder: "ffmpeg" },
  { extension: "webm", mime: "video/webm", kind: "video", formats: ["webm"], decoder: "ffmpeg" },
] as const satisfies readonly MediaType[];

type Row = (typeof MEDIA_TYPES)[number];
export type ImageExtension = Extract<Row, { kind: "image" }>["extension"];
export type VideoExtension = Extract<Row, { kind: "video" }>["extension"];

/** File extensions accepted for face detection, images in Magic Hour's own order. */
export const IMAGE_EXTENSIONS: readonly ImageExtension[] = MEDIA_TYPES.flatMap((row) =>
  row.kind === "image" ? [row.extension] : [],
);
export const VIDEO_EXTENSIONS: readonly VideoExtension[] = MEDIA_TYPES.flatMap((row) =>
  row.kind === "video" ? [row.extension] : [],
);
export const ALL_EXTENSIONS: readonly string[] = MEDIA_TYPES.map((row) => row.extension);

const byExtension = new Map<string, MediaType>(MEDIA_TYPES.map((row) => [row.extension, row]));

/** The kind an extension claims (case-insensitive), or null for one that is not accepted. */
export function kindOfExtension(extension: string): MediaKind | null {
  return byExtension.get(extension.toLowerCase())?.kind ?? null;
}

/** The Content-Type a stored file of this extension is served with. */
export function contentTypeOf(extension: string): string {
  return byExtension.get(extension.toLowerCase())?.mime ?? "application/octet-stream";
}

/** The extension a file is stored under, from the format found in its content: jpeg → jpg, j2k → jp2. */
export function extensionOfFormat(format: ImageFormat | VideoContainer): string {
  const row = MEDIA_TYPES.find((candidate) => (candidate.formats as readonly string[]).includes(format));
  if (!row) throw new Error(`no media type holds the format ${format}`);
  return row.extension;
}

/** MIME type → extensions (with the dot), the shape a file picker's `accept` takes. */
export function acceptedTypes(kind: MediaKind): Record<string, string[]> {
  const accepted: Record<string, string[]> = {};
  for (const row of MEDIA_TYPES) {
    if (row.kind !== kind) continue;
    accepted[row.mime] = [...(accepted[row.mime] ?? []), `.${row.extension}`];
  }
  return accepted;
}
