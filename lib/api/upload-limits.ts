/** Limits the upload form states before any byte is sent; the server enforces the same ones. */
export const ACCEPTED_IMAGE_TYPES: Record<string, string[]> = {
  "image/png": [".png"],
  "image/jpeg": [".jpg", ".jpeg", ".jfif"],
  "image/webp": [".webp"],
  "image/avif": [".avif"],
  "image/heic": [".heic"],
  "image/heif": [".heif"],
  "image/jp2": [".jp2"],
  "image/tiff": [".tiff", ".tif"],
  "image/bmp": [".bmp"],
};

export const ACCEPTED_VIDEO_TYPES: Record<string, string[]> = {
  "video/mp4": [".mp4", ".m4v"],
  "video/quicktime": [".mov"],
  "video/webm": [".webm"],
};
