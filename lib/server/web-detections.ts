import type { DetectionView } from "../api/detection-view";
import { DEFAULT_CONFIDENCE } from "../engine/face-engine";
import { type ImageFormat, sniffImageFormat, UNSUPPORTED_FORMAT_MESSAGE } from "../engine/image/decode-image";
import { readHead } from "../read-head";
import { ApiError } from "./api-error";
import type { ServerContext } from "./context";
import { ID_PATTERN, newId } from "./ids";
import { sniffVideo } from "./media";
import { clientAddress } from "./rate-limit";
import { saveRequestBody } from "./upload-stream";

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
  ctx.limits.perAddress.take(`ip:${clientAddress(request)}`);
  const confidence = Number(new URL(request.url).searchParams.get("confidence") ?? DEFAULT_CONFIDENCE);
  if (!(confidence >= 0 && confidence <= 1)) throw new ApiError(400, "confidence must be between 0 and 1");
  ctx.disk.require(Number(request.headers.get("content-length") ?? "0"));
  const id = newId();
  const staging = `api-assets/${id}/upload.bin`;
  const temp = await ctx.storage.tempFile(staging);
  try {
    const size = await saveRequestBody(request, temp, ctx.config.maxUploadBytes);
    if (size === 0) throw new ApiError(400, "The file is empty");
    const head = await readHead(temp);
    const format = sniffImageFormat(head);
    const container = format ? null : sniffVideo(head);
    if (!format && !container) {
      throw new ApiError(415, `${UNSUPPORTED_FORMAT_MESSAGE}; videos: mp4, m4v, mov, webm.`);
    }
    const extension = format ? EXTENSION[format] : (container as string);
    const inputKey = `api-assets/${id}/input.${extension}`;
    await ctx.storage.commit(temp, inputKey);
    ctx.tasks.create({
      id,
      owner: WEB_OWNER,
      source: inputKey,
      inputKey,
      kind: format ? "image" : "video",
      confidence,
      provider: ctx.config.provider,
    });
    ctx.queue.enqueue(id);
    return { id };
  } catch (error) {
    // The folder is this new task's alone: nothing in it (input, temporary file) outlives a refusal or a failure.
    await ctx.storage.removeAll(id);
    throw error;
  }
}

/** Everything the result page shows, with every candidate above the engine's floor so the slider can re-filter. */
export function detectionView(ctx: ServerContext, id: string): DetectionView | null {
  const task = ID_PATTERN.test(id) ? ctx.tasks.get(id) : undefined;
  if (!task || task.owner !== WEB_OWNER) return null;
  const done = task.status === "complete" && task.expiredAt === null;
  return {
    id: task.id,
    status: task.status,
    kind: task.kind,
    width: task.width,
    height: task.height,
    duration: task.duration,
    progress: task.progress,
    videoUrl: task.kind === "video" && task.inputKey ? `/${task.inputKey}` : null,
    confidence: task.confidence,
    expired: task.expiredAt !== null,
    error: task.status === "error" ? (task.error ?? "Face detection failed") : null,
    previewUrl: done ? `/api-assets/${id}/preview.jpg` : null,
    shareImageUrl: done ? `/api/detections/${id}/card.jpg` : null,
    zipUrl: done ? `/api/detections/${id}/faces.zip` : null,
    faces: ctx.tasks.faces(id).map((face) => ({
      index: face.index,
      url: `/${face.path}`,
      score: face.score,
      box: face.box,
      landmarks: face.landmarks,
      time: face.time ?? null,
      appearances: face.appearances ?? [],
    })),
    createdAt: new Date(task.createdAt).toISOString(),
    provider: task.provider,
  };
}

/** A new detection of the same photo at another threshold: for providers whose faces carry no scores. */
export function rerunDetection(ctx: ServerContext, id: string, confidence: number): { id: string } | null {
  const task = ID_PATTERN.test(id) ? ctx.tasks.get(id) : undefined;
  if (!task || task.owner !== WEB_OWNER || !task.inputKey || task.expiredAt !== null) return null;
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
