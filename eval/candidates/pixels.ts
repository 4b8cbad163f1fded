import sharp from "sharp";
import type { Box, RgbImage } from "../../lib/engine/types";

/**
 * Pixel plumbing shared by the candidate adapters: cut a region of the photo, scale it (sharp, the engine's own
 * resizer), and plan overlapping tiles. Regions may run past the photo's edge; the outside is black.
 */

/** The region `from` of `image`, scaled to `width` × `height` (aspect not kept: callers pass matching sizes). */
export async function cutAndScale(
  image: RgbImage,
  from: Box,
  width: number,
  height: number,
): Promise<RgbImage> {
  const left = Math.max(0, Math.floor(from.x));
  const top = Math.max(0, Math.floor(from.y));
  const right = Math.min(image.width, Math.ceil(from.x + from.width));
  const bottom = Math.min(image.height, Math.ceil(from.y + from.height));
  const scaleX = width / from.width;
  const scaleY = height / from.height;
  const innerWidth = Math.max(1, Math.min(width, Math.round((right - left) * scaleX)));
  const innerHeight = Math.max(1, Math.min(height, Math.round((bottom - top) * scaleY)));
  const padLeft = Math.max(0, Math.min(width - innerWidth, Math.round((left - from.x) * scaleX)));
  const padTop = Math.max(0, Math.min(height - innerHeight, Math.round((top - from.y) * scaleY)));
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize(innerWidth, innerHeight, { fit: "fill", kernel: "linear" })
    .extend({
      left: padLeft,
      top: padTop,
      right: width - innerWidth - padLeft,
      bottom: height - innerHeight - padTop,
      background: { r: 0, g: 0, b: 0 },
    })
    .raw()
    .toBuffer();
  return { data, width, height };
}

/** The whole photo scaled by `factor`. */
export async function scaleWhole(image: RgbImage, factor: number): Promise<RgbImage> {
  const width = Math.max(1, Math.round(image.width * factor));
  const height = Math.max(1, Math.round(image.height * factor));
  return cutAndScale(image, { x: 0, y: 0, width: image.width, height: image.height }, width, height);
}

/**
 * Square tiles of `size` source pixels with the given stride, covering the photo; the last row and column are
 * pulled back inside so that no tile is mostly padding. A photo smaller than a tile gets one tile.
 */
export function planTiles(width: number, height: number, size: number, stride: number): Box[] {
  const starts = (length: number) => {
    if (length <= size) return [0];
    const out: number[] = [];
    for (let s = 0; s + size < length; s += stride) out.push(s);
    out.push(length - size);
    return out;
  };
  return starts(height).flatMap((y) =>
    starts(width).map((x) => ({ x, y, width: Math.min(size, width), height: Math.min(size, height) })),
  );
}

/** A box within `margin` pixels of a tile edge that is inside the photo was probably cut by that edge. */
export function cutByTileEdge(
  box: Box,
  tile: Box,
  photo: { width: number; height: number },
  margin: number,
): boolean {
  return (
    (tile.x > 0 && box.x - tile.x < margin) ||
    (tile.y > 0 && box.y - tile.y < margin) ||
    (tile.x + tile.width < photo.width && tile.x + tile.width - (box.x + box.width) < margin) ||
    (tile.y + tile.height < photo.height && tile.y + tile.height - (box.y + box.height) < margin)
  );
}
