import sharp from "sharp";
import type { FileStorage } from "./file-storage";

const WIDTH = 1200;
const HEIGHT = 630;
const GAP = 16;
const BACKGROUND = { r: 17, g: 17, b: 20 };

/**
 * The Open Graph picture of a result: the faces found, side by side, so that a pasted link shows who is in the
 * photo. With no faces it is the photo itself.
 */
export async function shareCard(crops: Buffer[], preview: Buffer): Promise<Buffer> {
  if (crops.length === 0) {
    return sharp(preview).resize(WIDTH, HEIGHT, { fit: "cover" }).jpeg({ quality: 82 }).toBuffer();
  }
  const shown = crops.slice(0, 8);
  const rows = shown.length <= 4 ? 1 : 2;
  const columns = Math.ceil(shown.length / rows);
  const side = Math.floor(
    Math.min((WIDTH - GAP * (columns + 1)) / columns, (HEIGHT - GAP * (rows + 1)) / rows),
  );
  const left0 = Math.round((WIDTH - columns * side - (columns - 1) * GAP) / 2);
  const top0 = Math.round((HEIGHT - rows * side - (rows - 1) * GAP) / 2);
  const tiles = await Promise.all(
    shown.map(async (crop, i) => ({
      input: await sharp(crop).resize(side, side).toBuffer(),
      left: left0 + (i % columns) * (side + GAP),
      top: top0 + Math.floor(i / columns) * (side + GAP),
    })),
  );
  return sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: BACKGROUND } })
    .composite(tiles)
    .jpeg({ quality: 82 })
    .toBuffer();
}

/** The result page's picture and the share card, stored beside a task's faces. */
export async function storePreview(
  storage: FileStorage,
  taskId: string,
  preview: Buffer,
  crops: Buffer[],
): Promise<void> {
  await storage.write(`api-assets/${taskId}/preview.jpg`, preview);
  await storage.write(`api-assets/${taskId}/share.jpg`, await shareCard(crops, preview));
}
