import "server-only";
import sharp from "sharp";
import { type DetectionView, facesAtConfidence } from "../api/detection-view";
import type { ServerContext } from "./context";

const WIDTH = 1200;
const HEIGHT = 630;
const PAD = 24;

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** What the card says: the same words as the page's title at that threshold. */
export function countLabel(view: DetectionView, confidence: number): string {
  const n = facesAtConfidence(view.faces, confidence).length;
  if (view.kind === "video") return `${n} ${n === 1 ? "person" : "people"} found`;
  return `${n} face${n === 1 ? "" : "s"} found`;
}

/**
 * The Open Graph picture of a result at a threshold: the photo itself, whole, with a frame on every face a viewer
 * of that link sees and the count in words, so a pasted link shows what the recipient will find. Frames have a
 * minimum size, so a 25-px face in a crowd is still marked on a phone-sized preview.
 */
export async function renderShareCard(
  preview: Buffer,
  view: DetectionView,
  confidence: number,
): Promise<Buffer> {
  const meta = await sharp(preview).metadata();
  const pw = meta.width ?? WIDTH;
  const ph = meta.height ?? HEIGHT;
  const scale = Math.min((WIDTH - 2 * PAD) / pw, (HEIGHT - 2 * PAD) / ph);
  const w = Math.round(pw * scale);
  const h = Math.round(ph * scale);
  const left = Math.round((WIDTH - w) / 2);
  const top = Math.round((HEIGHT - h) / 2);
  // Boxes are in pixels of the original photo; the preview may be smaller.
  const toCard = scale * (pw / (view.width ?? pw));
  // A video's boxes come from many frames, not from its poster: its card shows the count only.
  const faces =
    view.kind === "image"
      ? facesAtConfidence(view.faces, confidence).filter((face) => face.box !== null)
      : [];
  const frames = faces
    .map(({ box }) => {
      if (!box) return "";
      const side = Math.max(box.width, box.height) * toCard;
      const s = Math.max(16, side);
      const cx = left + (box.x + box.width / 2) * toCard;
      const cy = top + (box.y + box.height / 2) * toCard;
      const x = (cx - s / 2).toFixed(1);
      const y = (cy - s / 2).toFixed(1);
      return `<rect x="${x}" y="${y}" width="${s.toFixed(1)}" height="${s.toFixed(1)}" rx="3" fill="none" stroke="#000" stroke-opacity="0.55" stroke-width="6"/><rect x="${x}" y="${y}" width="${s.toFixed(1)}" height="${s.toFixed(1)}" rx="3" fill="none" stroke="#facc15" stroke-width="3"/>`;
    })
    .join("");
  const label = escapeXml(countLabel(view, confidence));
  const labelWidth = 40 + label.length * 22;
  const overlay = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${frames}
      <rect x="${PAD + 8}" y="${HEIGHT - PAD - 76}" width="${labelWidth}" height="60" rx="30" fill="#111114" fill-opacity="0.85"/>
      <text x="${PAD + 28}" y="${HEIGHT - PAD - 34}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="34" font-weight="bold" fill="#ffffff">${label}</text>
    </svg>`,
  );
  const [background, photo] = await Promise.all([
    sharp(preview).resize(WIDTH, HEIGHT, { fit: "cover" }).blur(24).modulate({ brightness: 0.45 }).toBuffer(),
    sharp(preview).resize(w, h).toBuffer(),
  ]);
  return sharp(background)
    .composite([
      { input: photo, left, top },
      { input: overlay, left: 0, top: 0 },
    ])
    .jpeg({ quality: 84, mozjpeg: true })
    .toBuffer();
}

/**
 * The card for a result at a threshold, made once per threshold and kept beside the result's files (removed with
 * them by retention and delete). Null when the result has no picture (not finished, expired, deleted).
 */
export async function shareCard(
  ctx: ServerContext,
  view: DetectionView,
  confidence: number,
): Promise<Buffer | null> {
  if (view.status !== "complete" || view.expired || !view.previewUrl) return null;
  const key = `api-assets/${view.id}/card-${Math.round(confidence * 100)}.jpg`;
  const cached = await ctx.blobs.get(key);
  if (cached) {
    const chunks: Buffer[] = [];
    for await (const chunk of cached.stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  const preview = await ctx.blobs.get(view.previewUrl.slice(1));
  if (!preview) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of preview.stream) chunks.push(chunk as Buffer);
  const card = await renderShareCard(Buffer.concat(chunks), view, confidence);
  await ctx.blobs.put(key, card, { contentType: "image/jpeg" });
  return card;
}
