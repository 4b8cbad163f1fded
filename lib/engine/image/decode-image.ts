// TEMPORARY until the full decoder lands.
import sharp from "sharp";
export async function decodeImage(bytes: Buffer, opts: { maxPixels?: number } = {}) {
  const { data, info } = await sharp(bytes, { limitInputPixels: opts.maxPixels ?? 50_000_000 })
    .rotate()
    .removeAlpha()
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, format: "x" };
}
