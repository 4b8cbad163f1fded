import { z } from "zod/mini";

/**
 * What the web app's own API (app/api) returns for a detection, shared by the route handler, the server-rendered
 * result page and the client that polls it. URLs are relative to this site. zod/mini, because this ships to the
 * browser: a few kB instead of all of zod.
 */
export const TaskStatus = z.enum(["queued", "rendering", "complete", "error"]);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const FaceView = z.object({
  index: z.number(),
  url: z.string(),
  /** Null for faces from Magic Hour, which reports neither score nor box. */
  score: z.nullable(z.number()),
  box: z.nullable(z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() })),
  landmarks: z.array(z.tuple([z.number(), z.number()])),
  /** Videos: when the best shot was taken, and when this person is on screen (seconds). */
  time: z.nullable(z.number()),
  appearances: z.array(z.object({ start: z.number(), end: z.number() })),
});
export type FaceView = z.infer<typeof FaceView>;

export const DetectionView = z.object({
  id: z.string(),
  status: TaskStatus,
  kind: z.enum(["image", "video"]),
  width: z.nullable(z.number()),
  height: z.nullable(z.number()),
  duration: z.nullable(z.number()),
  progress: z.nullable(z.number()),
  videoUrl: z.nullable(z.string()),
  confidence: z.number(),
  /** Retention removed this result's files: the page says so instead of showing faces. */
  expired: z.boolean(),
  error: z.nullable(z.string()),
  previewUrl: z.nullable(z.string()),
  shareImageUrl: z.nullable(z.string()),
  zipUrl: z.nullable(z.string()),
  faces: z.array(FaceView),
  createdAt: z.string(),
  provider: z.enum(["local", "magic-hour"]),
});
export type DetectionView = z.infer<typeof DetectionView>;

export function isTerminal(status: TaskStatus): boolean {
  return status === "complete" || status === "error";
}

/**
 * The faces a viewer sees at a confidence: a photo's left to right, a video's people in order of appearance. Faces
 * without a score (Magic Hour's) are always shown: their threshold was applied upstream, when the detection ran.
 */
export function facesAtConfidence(faces: readonly FaceView[], confidence: number): FaceView[] {
  return faces
    .filter((face) => face.score === null || face.score >= confidence)
    .sort((a, b) =>
      a.box && b.box && a.time === null && b.time === null ? a.box.x - b.box.x : a.index - b.index,
    );
}
