import sharp from "sharp";
import { allOrNothing, inBatches } from "./batches";
import { clampBox } from "./geometry";
import type { InferencePool } from "./inference/inference-pool";
import { mergeAcrossPasses } from "./merge";
import type { DetectorModel } from "./models/detector-model";
import { inputDims, toTensor } from "./tensor";
import { type PlannedLevel, type PlannedWindow, planLevels } from "./tiling";
import type { Box, Face, Point, RgbImage } from "./types";
import { secondLook } from "./verify";

export interface DetectOptions {
  /** Look at overlapping windows of finer pyramid levels as well as the whole image. */
  tiled: boolean;
  /** Lowest score kept. Callers filter further; keeping a floor lets a UI re-filter without re-running. */
  minScore: number;
  /** Take a second, centred look at uncertain candidates (see verify.ts); they may move onto one face, so merge again. */
  verify: boolean;
  /** Look at photos under 1920 px at a finer level too (see tiling.ts). */
  detail: boolean;
  /**
   * Only the finest level's windows (when there is more than one level): for a detector that is asked for small
   * faces only, the whole-image pass and the coarser levels would find faces another detector has already found.
   */
  finestOnly?: boolean;
  /** Look only at the windows this picks (indices into a level's windows, given as rectangles in source pixels). */
  selectWindows?: (windows: readonly Box[]) => number[];
  /** Aborting stops submitting inference work and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Pictures longer than this (either way) are refused: each needs far more windows than its pixels suggest. */
export const MAX_ASPECT_RATIO = 20;

/** A picture the engine will not look at, with a reason written for the person who sent it. */
export class DetectionRefusedError extends Error {
  override readonly name = "DetectionRefusedError";
}

/** Refuse up front what the engine can't look at in bounded work: a picture too long and thin. */
export function checkDetectable(width: number, height: number): void {
  const ratio = Math.max(width, height) / Math.max(1, Math.min(width, height));
  if (ratio > MAX_ASPECT_RATIO)
    throw new DetectionRefusedError(
      `The picture is ${width} × ${height} pixels; pictures more than ${MAX_ASPECT_RATIO} times longer than they are wide are not supported`,
    );
}

/** A face box touching a cut window edge closer than this (fraction of the input) is a partial face. */
const CUT_MARGIN = 0.01;
/** Boxes smaller than this many source pixels on a side are noise, whatever their score. */
const MIN_FACE_SIDE = 8;

/** Find faces in an upright RGB image: plan the passes, run them off-thread, map back, merge. */
export async function detectFaces(
  image: RgbImage,
  model: DetectorModel,
  pool: InferencePool,
  options: DetectOptions,
): Promise<Face[]> {
  checkDetectable(image.width, image.height);
  options.signal?.throwIfAborted();
  const { input } = model;
  const planned = planLevels({
    imageWidth: image.width,
    imageHeight: image.height,
    inputWidth: input.width,
    inputHeight: input.height,
    fineWindow: model.fineWindow,
    tiled: options.tiled,
    detail: options.detail,
  });
  // planLevels lists the whole-image pass first, then the finest level, then coarser ones.
  const levels = options.finestOnly && planned.length > 1 ? planned.slice(1, 2) : planned;
  const select = (level: PlannedLevel): PlannedWindow[] => {
    if (!options.selectWindows) return level.windows;
    const rects = level.windows.map((window) => ({
      x: window.x / level.scaleX,
      y: window.y / level.scaleY,
      width: input.width / level.scaleX,
      height: input.height / level.scaleY,
    }));
    return options.selectWindows(rects).flatMap((index) => level.windows[index] ?? []);
  };
  const dims = inputDims(input);
  // Levels run side by side, so the small coarse pass is already computing while the fine level is resized; each
  // level's windows go in bounded batches, and a failure anywhere stops every level.
  const perLevel = await allOrNothing(
    levels.map((level) => async (signal: AbortSignal) => {
      const isWhole = level === planned[0];
      const scaled = await resizeRgb(image, level.width, level.height);
      signal.throwIfAborted();
      return inBatches(
        select(level),
        async (windows) => {
          const outputs = await pool.run(
            model.modelPath,
            windows.map((window) => ({
              name: input.name,
              data: toTensor(scaled, input, { left: window.x, top: window.y }),
              dims,
            })),
          );
          return windows.flatMap((window, i) =>
            model
              .decode(outputs[i] ?? {}, options.minScore)
              .filter((face) => !touchesCutEdge(face, window) && (isWhole || !tooLargeForTile(face)))
              .map((face) => toSourcePixels(face, level, window, input.width, input.height)),
          );
        },
        signal,
      );
    }),
    options.signal,
  );
  const candidates = perLevel.flat();
  const merged = mergeAcrossPasses(candidates).filter((face) => face.score >= options.minScore);
  const checked = options.verify
    ? mergeAcrossPasses(await secondLook(image, merged, model, pool, options.signal))
    : merged;
  return checked
    .filter((face) => face.score >= options.minScore)
    .map((face) => ({ ...face, box: clampBox(restyle(face.box, model), image.width, image.height) }))
    .filter((face) => face.box.width >= MIN_FACE_SIDE && face.box.height >= MIN_FACE_SIDE)
    .sort((a, b) => a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2));
}

function restyle(box: Box, model: DetectorModel): Box {
  const style = model.boxStyle;
  if (!style) return box;
  const width = box.width * style.width;
  const height = box.height * style.height;
  return {
    x: box.x + (box.width - width) / 2,
    y: box.y + (box.height - height) / 2 + style.shiftY * box.height,
    width,
    height,
  };
}

async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (width === image.width && height === image.height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: "fill" })
    .raw()
    .toBuffer();
  return { data, width, height };
}

/**
 * A window of a fine level sees a small part of the picture, and a large "face" there is more often a patch of
 * texture or shadow than a face: every face that large is also seen, smaller and with its surroundings, one level
 * up (see tiling.ts), so windows report only faces up to this fraction of their side.
 */
const MAX_TILE_FACE = 0.3;

function tooLargeForTile(face: Face): boolean {
  return Math.max(face.box.width, face.box.height) > MAX_TILE_FACE;
}

function touchesCutEdge(face: Face, window: PlannedWindow): boolean {
  const { x, y, width, height } = face.box;
  return (
    (window.cutLeft && x < CUT_MARGIN) ||
    (window.cutTop && y < CUT_MARGIN) ||
    (window.cutRight && x + width > 1 - CUT_MARGIN) ||
    (window.cutBottom && y + height > 1 - CUT_MARGIN)
  );
}

function toSourcePixels(
  face: Face,
  level: PlannedLevel,
  window: PlannedWindow,
  iw: number,
  ih: number,
): Face {
  const px = (nx: number) => (window.x + nx * iw) / level.scaleX;
  const py = (ny: number) => (window.y + ny * ih) / level.scaleY;
  return {
    score: face.score,
    box: {
      x: px(face.box.x),
      y: py(face.box.y),
      width: (face.box.width * iw) / level.scaleX,
      height: (face.box.height * ih) / level.scaleY,
    },
    landmarks: face.landmarks.map(([x, y]): Point => [px(x), py(y)]),
  };
}
