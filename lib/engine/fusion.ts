import { iou } from "./geometry";
import type { Face } from "./types";

export interface SmallFaceFusion {
  /** A face only the small-face detector reports is kept when its box's longer side is under this (source px). */
  maxSide: number;
  /**
   * Its score is multiplied by this: the small-face detector also fires on textures (a star field, a grille), and
   * on its own it is less sure evidence than BlazeFace's confirmed look.
   */
  weight: number;
}

/** Boxes overlapping this much (IoU) are the same face seen by both detectors. */
const SAME_FACE_IOU = 0.3;

/**
 * Fuse the main detector's faces (BlazeFace: large, turned and half-hidden faces, already given a second look)
 * with a small-face detector's (MediaPipe full-range on fine tiles). Where both see a face, the main detector's
 * face stands: its box, score and landmarks have been checked. A face only the small-face detector sees is added
 * when it is small, which is where BlazeFace is blind (under ~20 px); a large one that BlazeFace didn't report is
 * far more often a look-alike BlazeFace's second look rejected.
 */
export function fuseSmallFaces(
  main: readonly Face[],
  small: readonly Face[],
  fusion: SmallFaceFusion,
): Face[] {
  const added = small
    .filter((face) => Math.max(face.box.width, face.box.height) < fusion.maxSide)
    .filter((face) => !main.some((known) => iou(known.box, face.box) > SAME_FACE_IOU))
    .map((face) => ({ ...face, score: face.score * fusion.weight }));
  return [...main, ...added];
}
