import { readFile } from "node:fs/promises";
import { zipSync } from "fflate";
import { facesAtConfidence } from "../api/detection-view";
import type { ServerContext } from "./context";
import { detectionView } from "./web-detections";

/** The crops at or above a confidence, as one ZIP (stored, not deflated: PNGs don't compress further). */
export async function facesZip(
  ctx: ServerContext,
  id: string,
  confidence: number,
): Promise<{ name: string; bytes: Uint8Array } | null> {
  const view = detectionView(ctx, id);
  if (view?.status !== "complete") return null;
  const files: Record<string, Uint8Array> = {};
  for (const face of facesAtConfidence(view.faces, confidence)) {
    const name = face.url.split("/").at(-1) as string;
    files[name] = await readFile(ctx.storage.pathFor(face.url.slice(1)));
  }
  return { name: `faces-${id}.zip`, bytes: zipSync(files, { level: 0 }) };
}
