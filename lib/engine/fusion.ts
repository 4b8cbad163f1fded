import { iou } from "./geometry";
import type { Box, Face } from "./types";

export interface SmallFaceFusion {
  /**
   * Where to look: small faces come in crowds, so the small-face detector looks only at windows within `margin`
   * source pixels of a face the main detector found that is under `hintSide` px (any score down to the floor).
   */
  hintSide: number;
  margin: number;
  /** At most this many windows per photo (a crowd of small faces would otherwise ask for every window). */
  maxWindows: number;
  /** A face only the small-face detector reports is kept when its box's longer side is under this (source px). */
  maxSide: number;
  /**
   * Its score is taken down to `from + (score − from) × weight`: the small-face detector also fires on textures (a
   * star field, a grille), and on its own it is weaker evidence than BlazeFace's confirmed look. With from 0.3 and
   * weight 0.5, its 0.7 becomes 0.5 and its 1.0 0.65, and every candidate above the engine's floor stays above it.
   */
  from: number;
  weight: number;
}

/**
 * The windows (source pixels) worth a small-face look: those within `margin` of a small face the main detector
 * found, the ones near the most such faces first, at most `maxWindows`, returned in plan order.
 */
export function windowsNearSmallFaces(
  windows: readonly Box[],
  main: readonly Face[],
  fusion: SmallFaceFusion,
): number[] {
  const hints = main
    .filter((face) => Math.max(face.box.width, face.box.height) < fusion.hintSide)
    .map((face) => [face.box.x + face.box.width / 2, face.box.y + face.box.height / 2] as const);
  const near = (window: Box) =>
    hints.filter(
      ([cx, cy]) =>
        cx > window.x - fusion.margin &&
        cx < window.x + window.width + fusion.margin &&
        cy > window.y - fusion.margin &&
        cy < window.y + window.height + fusion.margin,
    ).length;
  return windows
    .map((window, index) => ({ index, count: near(window) }))
    .filter(({ count }) => count > 0)
    .sort((a, b) => b.count - a.count || a.index - b.index)
    .slice(0, fusion.maxWindows)
    .map(({ index }) => index)
    .sort((a, b) => a - b);
}

/** Boxes overlapping this much (IoU) are the same face seen by both detectors. */
const SAME_FACE_IOU = 0.3;

/**
 * Fuse the main detector's faces (BlazeFace: large, turned and half-hidden faces, already given a second look)
 * with a small-face detector's (MediaPipe full-range on fine tiles). Where both see a face, the main detector's
 * box and landmarks stand (they have been checked) and its score rises to the mean of the two when that is higher:
 * two detectors agreeing is better evidence than either. A face only the small-face detector sees is added
 * when it is small, which is where BlazeFace is blind (under ~20 px); a large one that BlazeFace didn't report is
 * far more often a look-alike BlazeFace's second look rejected.
 */
export function fuseSmallFaces(
  main: readonly Face[],
  small: readonly Face[],
  fusion: SmallFaceFusion,
): Face[] {
  const confirmed = main.map((face) => {
    const seen = small.filter((other) => iou(other.box, face.box) > SAME_FACE_IOU);
    const best = Math.max(0, ...seen.map((other) => other.score));
    return seen.length > 0 ? { ...face, score: Math.max(face.score, (face.score + best) / 2) } : face;
  });
  const added = small
    .filter((face) => Math.max(face.box.width, face.box.height) < fusion.maxSide)
    .filter((face) => !main.some((known) => iou(known.box, face.box) > SAME_FACE_IOU))
    .map((face) => ({ ...face, score: fusion.from + (face.score - fusion.from) * fusion.weight }));
  return [...confirmed, ...added];
}
