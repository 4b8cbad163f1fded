import "server-only";
import sharp from "sharp";
import { facesAtConfidence } from "../../../api/detection-view";
import { decodeImage } from "../../../engine/image/decode-image";
import type { Box } from "../../../engine/types";
import { ApiError } from "../../api-error";
import type { ServerContext } from "../../context";
import { detectionView } from "./detections";

export type PhotoStyle = "framed" | "blurred";

/**
 * A full-size export decodes the whole original (up to MAX_IMAGE_PIXELS, 150 MB of RGB at 50 MP): one at a time, so
 * a burst of downloads queues instead of multiplying that in memory.
 */
let previous: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const run = previous.then(work, work);
  previous = run.catch(() => undefined);
  return run;
}

/** A face's area grown a little, so hair and ears go with it when it is blurred. */
function grow(box: Box, width: number, height: number, factor: number): Box {
  const w = box.width * factor;
  const h = box.height * factor;
  const x = Math.max(0, Math.round(box.x + box.width / 2 - w / 2));
  const y = Math.max(0, Math.round(box.y + box.height / 2 - h / 2));
  return {
    x,
    y,
    width: Math.max(1, Math.min(width - x, Math.round(w))),
    height: Math.max(1, Math.min(height - y, Math.round(h))),
  };
}

/**
 * The original photo at full size with every face at a threshold either framed and numbered as in the gallery, or
 * made unrecognisable (a redacted copy to share). Made on the server from the original pixels, never from the
 * preview: a blur applied to a downscaled copy would leave the full-size faces in whoever has the original.
 */
export async function exportPhoto(
  ctx: ServerContext,
  id: string,
  style: PhotoStyle,
  confidence: number,
): Promise<{ name: string; bytes: Buffer } | null> {
  const view = await detectionView(ctx, id);
  const task = view ? await ctx.tasks.get(id) : undefined;
  if (!view || !task?.inputKey || view.status !== "complete" || view.expired) return null;
  if (view.kind !== "image")
    throw new ApiError(422, "Only photos can be downloaded with frames or blurred faces");
  const faces = facesAtConfidence(view.faces, confidence);
  if (faces.some((face) => face.box === null)) {
    throw new ApiError(422, "This result has no face positions (Magic Hour reports none)");
  }
  const inputKey = task.inputKey;
  const boxes = faces.map((face) => face.box as Box);
  const bytes = await oneAtATime(() => render(ctx, inputKey, style, boxes));
  return { name: `${style === "blurred" ? "faces-blurred" : "faces-framed"}-${id}.jpg`, bytes };
}

async function render(
  ctx: ServerContext,
  inputKey: string,
  style: PhotoStyle,
  boxes: Box[],
): Promise<Buffer> {
  const found = await ctx.blobs.get(inputKey);
  if (!found) throw new ApiError(404, "Not Found");
  const chunks: Buffer[] = [];
  for await (const chunk of found.stream) chunks.push(chunk as Buffer);
  const image = await decodeImage(Buffer.concat(chunks), {
    maxPixels: ctx.config.maxImagePixels,
  });
  const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } };
  const layers =
    style === "blurred"
      ? await Promise.all(
          boxes.map(async (box) => {
            const area = grow(box, image.width, image.height, 1.35);
            // Down to a few pixels and back: no detail survives, unlike a blur whose radius a small face can outlast.
            const tiny = await sharp(image.data, raw)
              .extract({ left: area.x, top: area.y, width: area.width, height: area.height })
              .resize(6, 6, { fit: "fill" })
              .png()
              .toBuffer();
            const input = await sharp(tiny)
              .resize(area.width, area.height, { fit: "fill", kernel: "cubic" })
              .blur(Math.max(1, Math.min(area.width, area.height) / 8))
              .toBuffer();
            return { input, left: area.x, top: area.y };
          }),
        )
      : [{ input: framesSvg(boxes, image.width, image.height), left: 0, top: 0 }];
  return sharp(image.data, raw).composite(layers).jpeg({ quality: 90, mozjpeg: true }).toBuffer();
}

function framesSvg(boxes: Box[], width: number, height: number): Buffer {
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 500));
  const font = Math.max(12, stroke * 7);
  const shapes = boxes.map((box, i) => {
    const side = Math.max(box.width, box.height, stroke * 6);
    const x = box.x + box.width / 2 - side / 2;
    const y = box.y + box.height / 2 - side / 2;
    const labelY = y > font + stroke * 2 ? y - stroke * 2 : y + side + font + stroke;
    return `<rect x="${x}" y="${y}" width="${side}" height="${side}" fill="none" stroke="#000" stroke-opacity="0.5" stroke-width="${stroke * 2}"/>
      <rect x="${x}" y="${y}" width="${side}" height="${side}" fill="none" stroke="#facc15" stroke-width="${stroke}"/>
      <text x="${x}" y="${labelY}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-weight="bold" font-size="${font}" fill="#facc15" stroke="#000" stroke-width="${stroke / 2}" paint-order="stroke">${i + 1}</text>`;
  });
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join("")}</svg>`,
  );
}
