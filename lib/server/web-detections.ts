import { rm } from "node:fs/promises";
import type { DetectionView } from "../api/detection-view";
import { DEFAULT_CONFIDENCE } from "../engine/face-engine";
import { type ImageFormat, sniffImageFormat, UNSUPPORTED_FORMAT_MESSAGE } from "../engine/image/decode-image";
import { ApiError } from "./api-error";
import type { ServerContext } from "./context";
import { ID_PATTERN, newId } from "./ids";
import { sniffVideo } from "./media";
import { readHead, saveRequestBody } from "./upload-stream";

/** Tasks started from the web app belong to no API key: their 128-bit id is what gives access, as a share link. */
export const WEB_OWNER = "web";

const EXTENSION: Record<ImageFormat, string> = {
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
 * POST /api/detections?confidence=0.5 with the file as the body: store it, queue its detection, return the id.
 * The browser sends the raw file (not a form), so its upload progress is the real byte count.
 */
export async function acceptWebUpload(request: Request, ctx: ServerContext): Promise<{ id: string }> {
  const confidence = Number(new URL(request.url).searchParams.get("confidence") ?? DEFAULT_CONFIDENCE);
  if (!(confidence >= 0 && confidence <= 1)) throw new ApiError(400, "confidence must be between 0 and 1");
  const id = newId();
  const staging = `api-assets/${id}/upload.bin`;
  const temp = await ctx.storage.tempFile(staging);
  try {
    const size = await saveRequestBody(request, temp, ctx.config.maxUploadBytes);
    if (size === 0) throw new ApiError(400, "The file is empty");
    const head = await readHead(temp);
    const format = sniffImageFormat(head);
    if (!format) {
      if (sniffVideo(head)) throw new ApiError(415, "Videos can't be analysed yet: please choose a photo");
      throw new ApiError(415, `${UNSUPPORTED_FORMAT_MESSAGE}.`);
    }
    const inputKey = `api-assets/${id}/input.${EXTENSION[format]}`;
    await ctx.storage.commit(temp, inputKey);
    ctx.tasks.create({
      id,
      owner: WEB_OWNER,
      source: inputKey,
      inputKey,
      kind: "image",
      confidence,
      provider: ctx.config.provider,
    });
    ctx.queue.enqueue(id);
    return { id };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Everything the result page shows, with every candidate above the engine's floor so the slider can re-filter. */
export function detectionView(ctx: ServerContext, id: string): DetectionView | null {
  const task = ID_PATTERN.test(id) ? ctx.tasks.get(id) : undefined;
  if (!task || task.owner !== WEB_OWNER) return null;
  const done = task.status === "complete";
  return {
    id: task.id,
    status: task.status,
    kind: task.kind,
    width: task.width,
    height: task.height,
    confidence: task.confidence,
    error: task.status === "error" ? (task.error ?? "Face detection failed") : null,
    previewUrl: done ? `/api-assets/${id}/preview.jpg` : null,
    shareImageUrl: done ? `/api-assets/${id}/share.jpg` : null,
    zipUrl: done ? `/api/detections/${id}/faces.zip` : null,
    faces: ctx.tasks.faces(id).map((face) => ({
      index: face.index,
      url: `/${face.path}`,
      score: face.score,
      box: face.box,
      landmarks: face.landmarks,
    })),
    createdAt: new Date(task.createdAt).toISOString(),
    provider: task.provider,
  };
}

/** A new detection of the same photo at another threshold: for providers whose faces carry no scores. */
export function rerunDetection(ctx: ServerContext, id: string, confidence: number): { id: string } | null {
  const task = ID_PATTERN.test(id) ? ctx.tasks.get(id) : undefined;
  if (!task || task.owner !== WEB_OWNER || !task.inputKey) return null;
  if (!(confidence >= 0 && confidence <= 1)) throw new ApiError(400, "confidence must be between 0 and 1");
  const rerun = newId();
  ctx.tasks.create({
    id: rerun,
    owner: WEB_OWNER,
    source: task.source,
    inputKey: task.inputKey,
    kind: task.kind,
    confidence,
    provider: ctx.config.provider,
  });
  ctx.queue.enqueue(rerun);
  return { id: rerun };
}
