import "server-only";
import { CreateFaceDetectionRequest, type FaceDetection } from "../../../api/schemas";
import { DEFAULT_CONFIDENCE } from "../../../engine/face-engine";
import { ALL_EXTENSIONS, kindOfExtension, type MediaKind } from "../../../media/media-types";
import { ApiError, notFound } from "../../api-error";
import { authenticate } from "../../auth";
import { clientAddress } from "../../client-address";
import type { ServerContext } from "../../context";
import { ID_PATTERN, newId } from "../../ids";
import { takeLimits } from "../../rate-limit";
import { bodyRules, publicOrigin, readJson } from "../../request-body";
import type { FaceRecord, TaskRecord } from "../../task-store";

/** POST /v1/face-detection: queue a detection on an uploaded file or a URL. */
export async function createFaceDetection(request: Request, ctx: ServerContext): Promise<Response> {
  const owner = authenticate(request, ctx.config.apiKeys);
  const limitHeaders = await takeLimits([
    [ctx.limits.perKey, owner],
    [ctx.limits.apiPerAddress, clientAddress(request.headers, ctx.config.trustProxy)],
  ]);
  const body = await readJson(request, CreateFaceDetectionRequest, bodyRules(ctx, request, "json"));
  ctx.disk.require();
  const target = body.assets.target_file_path;
  const confidence = body.confidence_score ?? DEFAULT_CONFIDENCE;
  const id = newId();
  let inputKey: string | null = null;
  let kind: MediaKind;
  if (/^https?:\/\//i.test(target)) {
    kind = kindOfUrl(target);
  } else {
    const upload = await ctx.uploads.byFilePath(target);
    // Another key's upload is as unknown here as one never made (uploads older than owners are anyone's).
    const ownUpload = upload && (upload.owner === null || upload.owner === owner);
    if (!ownUpload || upload.state !== "uploaded")
      throw new ApiError(422, "Unable to trigger face detection");
    kind = upload.kind;
    inputKey = upload.filePath;
  }
  if ((await ctx.detections.pending(owner)) >= ctx.config.queuedPerClient) {
    throw new ApiError(
      429,
      `Too many detections waiting for this key (limit ${ctx.config.queuedPerClient}); try again when some have finished`,
      { ...limitHeaders, "Retry-After": "10" },
    );
  }
  await ctx.tasks.create({
    id,
    owner,
    source: target,
    inputKey,
    kind,
    confidence,
    provider: ctx.config.provider,
  });
  await ctx.detections.enqueue(id, owner);
  return Response.json({ id, credits_charged: 0 }, { headers: limitHeaders });
}

function kindOfUrl(target: string): MediaKind {
  let pathname: string;
  try {
    pathname = new URL(target).pathname;
  } catch {
    throw new ApiError(400, "Invalid request: assets.target_file_path: not a valid URL");
  }
  const extension = /\.([A-Za-z0-9]+)$/.exec(pathname)?.[1] ?? "";
  const kind = kindOfExtension(extension);
  if (!kind) {
    throw new ApiError(
      422,
      `assets.target_file_path: a URL must end in a supported file extension (${ALL_EXTENSIONS.join(", ")})`,
    );
  }
  return kind;
}

/** GET /v1/face-detection/{id}: status and the faces found so far. */
export async function getFaceDetection(request: Request, ctx: ServerContext, id: string): Promise<Response> {
  const owner = authenticate(request, ctx.config.apiKeys);
  const task = ID_PATTERN.test(id) ? await ctx.tasks.get(id) : undefined;
  if (!task || task.owner !== owner || task.expiredAt !== null) throw notFound();
  // A task that failed lists no faces, even if some were recorded before it failed (a video cut short).
  const faces = task.status === "error" ? [] : await ctx.tasks.faces(id, task.confidence);
  return Response.json(presentTask(task, faces, publicOrigin(request, ctx)));
}

/**
 * Magic Hour's shape, exactly, for the fields it defines; this server's extra fields sit beside them (the SDK
 * ignores unknown fields).
 */
export function presentTask(task: TaskRecord, faces: FaceRecord[], origin: string): FaceDetection {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    id: task.id,
    credits_charged: 0,
    status: task.status,
    faces: faces.map((face) => ({
      path: face.path,
      url: `${origin}/${face.path}`,
      frame: face.frame,
      ...(face.appearances ? { time: face.time, appearances: face.appearances } : {}),
      // Magic Hour reports no score or box: the fields are left out rather than invented.
      ...(face.score === null ? {} : { score: Math.round(face.score * 1000) / 1000 }),
      ...(face.box === null
        ? {}
        : {
            box: {
              x: round(face.box.x),
              y: round(face.box.y),
              width: round(face.box.width),
              height: round(face.box.height),
            },
            landmarks: face.landmarks.map(([x, y]): [number, number] => [round(x), round(y)]),
          }),
    })),
    kind: task.kind,
    provider: task.provider,
    confidence_score: task.confidence,
    width: task.width,
    height: task.height,
    ...(task.kind === "video" ? { duration: task.duration, progress: task.progress ?? 0 } : {}),
    ...(task.status === "error" ? { error: { message: task.error ?? "Face detection failed" } } : {}),
  };
}
