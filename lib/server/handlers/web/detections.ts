import "server-only";
import type { DetectionView } from "../../../api/detection-view";
import { DEFAULT_CONFIDENCE } from "../../../engine/face-engine";
import { UNSUPPORTED_FORMAT_MESSAGE } from "../../../engine/image/image-decode-error";
import { contentTypeOf, type MediaKind, VIDEO_EXTENSIONS } from "../../../media/media-types";
import { extensionFromContent } from "../../../media/sniff-media";
import { ApiError, notFound } from "../../api-error";
import { clientAddress } from "../../client-address";
import type { ServerContext } from "../../context";
import { ID_PATTERN, newId } from "../../ids";
import { previewKey } from "../../providers/preview";
import { takeLimits } from "../../rate-limit";
import { bodyRules, publicOrigin, queryConfidence } from "../../request-body";
import { storeRequestBody } from "../../upload-stream";

/** Tasks started from the web app belong to no API key: their 128-bit id is what gives access, as a share link. */
export const WEB_OWNER = "web";

const SIMPLE_CONTENT_TYPE =
  /^\s*(text\/plain|multipart\/form-data|application\/x-www-form-urlencoded)\s*(;|$)/i;

/**
 * The web routes take no token, so any page on another site could make its visitors' browsers start work here (a
 * form posting text/plain, a no-cors fetch). Those are "simple" requests, sent without a CORS preflight: a simple
 * request must come from this app's own origin. The app's own uploads are application/octet-stream, which another
 * site can't send without a preflight this server never grants.
 */
export function refuseCrossSite(request: Request, ctx: ServerContext): void {
  const site = request.headers.get("sec-fetch-site");
  const origin = request.headers.get("origin");
  const crossSite =
    site === "cross-site" ||
    site === "same-site" ||
    (origin !== null && origin !== publicOrigin(request, ctx));
  const type = request.headers.get("content-type");
  if (crossSite && (!type || SIMPLE_CONTENT_TYPE.test(type))) {
    throw new ApiError(
      403,
      "Cross-site request refused: send the file from this app or as application/octet-stream",
    );
  }
}

/** A web visitor's lane in the detection queue: their address (web tasks have no key to tell them apart). */
const webLane = (address: string) => `web:${address}`;

async function checkQueueRoom(ctx: ServerContext, lane: string): Promise<void> {
  if ((await ctx.detections.pending(lane)) >= ctx.config.queuedPerClient) {
    throw new ApiError(
      429,
      `Too many detections waiting for you (limit ${ctx.config.queuedPerClient}); try again when some have finished`,
      { "Retry-After": "10" },
    );
  }
}

/**
 * POST /api/detections?confidence=0.5 with the file as the body: store it, queue its detection, return the id.
 * The browser sends the raw file (not a form), so its upload progress is the real byte count.
 */
export async function acceptWebUpload(
  request: Request,
  ctx: ServerContext,
): Promise<{ id: string; headers: Record<string, string> }> {
  refuseCrossSite(request, ctx);
  const address = clientAddress(request.headers, ctx.config.trustProxy);
  const limitHeaders = await takeLimits([[ctx.limits.webPerAddress, address]]);
  const confidence = queryConfidence(request, DEFAULT_CONFIDENCE);
  await checkQueueRoom(ctx, webLane(address));
  ctx.disk.require(Number(request.headers.get("content-length") ?? "0"));
  const id = newId();
  try {
    let kind: MediaKind = "image";
    const { key: inputKey } = await storeRequestBody(request, bodyRules(ctx, request, "file"), ctx.blobs, {
      empty: () => new ApiError(400, "The file is empty"),
      keyFor(head) {
        const imageExtension = extensionFromContent(head, "image");
        const extension = imageExtension ?? extensionFromContent(head, "video");
        if (!extension) {
          throw new ApiError(415, `${UNSUPPORTED_FORMAT_MESSAGE}; videos: ${VIDEO_EXTENSIONS.join(", ")}.`);
        }
        kind = imageExtension ? "image" : "video";
        return { key: `api-assets/${id}/input.${extension}`, contentType: contentTypeOf(extension) };
      },
    });
    await ctx.tasks.create({
      id,
      owner: WEB_OWNER,
      source: inputKey,
      inputKey,
      kind,
      confidence,
      provider: ctx.config.provider,
    });
    await ctx.detections.enqueue(id, webLane(address));
    return { id, headers: limitHeaders };
  } catch (error) {
    // The folder is this new task's alone: nothing in it outlives a refusal or a failure.
    await ctx.blobs.deleteAll(id);
    throw error;
  }
}

/** Everything the result page shows, with every candidate above the engine's floor so the slider can re-filter. */
export async function detectionView(ctx: ServerContext, id: string): Promise<DetectionView | null> {
  const task = ID_PATTERN.test(id) ? await ctx.tasks.get(id) : undefined;
  if (!task || task.owner !== WEB_OWNER) return null;
  const done = task.status === "complete" && task.expiredAt === null;
  // A task that failed lists no faces, even if some were recorded before it failed (a video cut short).
  const faces = task.status === "error" ? [] : await ctx.tasks.faces(id);
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
    previewUrl: done ? `/${previewKey(id)}` : null,
    shareImageUrl: done ? `/api/detections/${id}/card.jpg` : null,
    zipUrl: done ? `/api/detections/${id}/faces.zip` : null,
    faces: faces.map((face) => ({
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

/**
 * POST /api/detections/{id}/rerun?confidence=0.7: a new detection of the same photo at another threshold, for
 * providers whose faces carry no scores. Identical reruns (same photo, same threshold) collapse onto the live task
 * that already has that answer; new ones are rate-limited per address and queued in the caller's own lane.
 */
export async function rerunDetection(request: Request, ctx: ServerContext, id: string): Promise<Response> {
  refuseCrossSite(request, ctx);
  const address = clientAddress(request.headers, ctx.config.trustProxy);
  // Hundredths: the slider moves in 0.05 steps, and a photo then has at most 101 distinct reruns to collapse onto.
  const confidence = Math.round(queryConfidence(request, null) * 100) / 100;
  const task = ID_PATTERN.test(id) ? await ctx.tasks.get(id) : undefined;
  if (!task || task.owner !== WEB_OWNER || !task.inputKey || task.expiredAt !== null) throw notFound();
  const same = await ctx.tasks.findSame(WEB_OWNER, task.source, confidence, ctx.config.provider);
  if (same) return Response.json({ id: same });
  const limitHeaders = await takeLimits([[ctx.limits.reruns, address]]);
  await checkQueueRoom(ctx, webLane(address));
  const rerun = newId();
  await ctx.tasks.create({
    id: rerun,
    owner: WEB_OWNER,
    source: task.source,
    inputKey: task.inputKey,
    kind: task.kind,
    confidence,
    provider: ctx.config.provider,
  });
  await ctx.detections.enqueue(rerun, webLane(address));
  return Response.json({ id: rerun }, { headers: limitHeaders });
}
