import { area, intersectionOverSmaller, iou } from "./geometry";
import { weightedMean } from "./nms";
import type { Face } from "./types";

const SAME_FACE_IOU = 0.3;
const NESTED_IOS = 0.6;
/** A box nested in one this many times its area is a different thing (a face in a crowd behind a false box). */
const MAX_NESTED_AREA_RATIO = 4;

/**
 * Merge faces found by different windows and pyramid levels. Boxes of the same face from two passes overlap well
 * (IoU) and are averaged; a partial box left inside a whole one overlaps poorly by IoU but is nearly contained in
 * it (intersection over the smaller box), and is dropped.
 */
export function mergeAcrossPasses(faces: readonly Face[]): Face[] {
  let remaining = [...faces].sort((a, b) => b.score - a.score);
  const merged: Face[] = [];
  while (remaining.length > 0) {
    const top = remaining[0] as Face;
    const same: Face[] = [top];
    const rest: Face[] = [];
    for (const face of remaining.slice(1)) {
      if (iou(top.box, face.box) > SAME_FACE_IOU) same.push(face);
      else if (!isNestedDuplicate(top, face)) rest.push(face);
    }
    merged.push(weightedMean(same, top.score));
    remaining = rest;
  }
  return merged;
}

function isNestedDuplicate(top: Face, face: Face): boolean {
  const ratio = area(top.box) / Math.max(area(face.box), 1e-9);
  return (
    intersectionOverSmaller(top.box, face.box) > NESTED_IOS &&
    ratio < MAX_NESTED_AREA_RATIO &&
    ratio > 1 / MAX_NESTED_AREA_RATIO
  );
}
