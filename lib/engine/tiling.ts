/**
 * Which windows of which scaled copies of an image a detector looks at.
 *
 * BlazeFace only finds faces above roughly 5% of its input's side, so one pass over a whole group photo misses the
 * small faces. The plan is a small pyramid: one coarse pass over the whole image (letterboxed), then finer levels
 * cut into overlapping windows. Each window of level k holds any face up to `overlap` input pixels wholly, and a
 * face larger than that is at least a quarter of that size one level up, where the model still sees it, so a face
 * cut by a window edge can be dropped: a whole copy of it exists elsewhere.
 */

export interface PlannedWindow {
  /** Top-left corner in the level's scaled image, in pixels. */
  x: number;
  y: number;
  /** Window edges that lie inside the image (not on its border): a face touching one of these is cut. */
  cutLeft: boolean;
  cutTop: boolean;
  cutRight: boolean;
  cutBottom: boolean;
}

export interface PlannedLevel {
  /** Scaled pixels per source pixel, per axis (sizes are rounded to whole pixels). */
  scaleX: number;
  scaleY: number;
  width: number;
  height: number;
  windows: PlannedWindow[];
}

export interface TilingInput {
  imageWidth: number;
  imageHeight: number;
  inputWidth: number;
  inputHeight: number;
  /** Window size in source pixels at the finest level (see DetectorModel.fineWindow). */
  fineWindow: number;
  tiled: boolean;
  /** Add the detail level (DETAIL_SIDE) for photos; video frames, sampled many times a second, go without. */
  detail: boolean;
}

/** Fraction of a window shared with its neighbour. */
const OVERLAP = 0.3;
/** Scale step between pyramid levels: faces one level can't hold wholly are ≥ 1/4 as large on the next one. */
const LEVEL_STEP = 4;
/**
 * The finest level shows the image with its longer side at least this long (never enlarged beyond
 * MAX_DETAIL_SCALE): faces of a couple of percent of the picture are what group shots hold, and this keeps the
 * finest level near a fixed number of windows (about 12) whatever the picture's size. Measured on the real-photo
 * set (npm run eval): 1024 px adds 0.024 AP on hard faces for twice the windows of a 1024-px photo.
 */
const DETAIL_SIDE = 768;
const MAX_DETAIL_SCALE = 1;
/**
 * Windows at the finest level, at most: a 24 MP photo at 0.4× would need about 120 (nearly a second of BlazeFace
 * on 2 cores), so a very large photo's finest level is made coarser until it fits. A 3000 × 2000 photo keeps 0.4×
 * (35 windows, faces from 40 px); 4000 × 3000 goes to 0.31× (faces from about 52 px), 6000 × 4000 to 0.23×.
 */
const MAX_FINE_WINDOWS = 40;
/** A finer level must be at least this much finer than the coarse pass to be worth its windows. */
const MIN_GAIN = 1.5;

export function planLevels(input: TilingInput): PlannedLevel[] {
  const { imageWidth: w, imageHeight: h, inputWidth: iw, inputHeight: ih } = input;
  const coarseScale = Math.min(iw / w, ih / h);
  const coarseWidth = Math.max(1, Math.round(w * coarseScale));
  const coarseHeight = Math.max(1, Math.round(h * coarseScale));
  const levels: PlannedLevel[] = [
    {
      scaleX: coarseWidth / w,
      scaleY: coarseHeight / h,
      width: coarseWidth,
      height: coarseHeight,
      windows: [{ x: 0, y: 0, cutLeft: false, cutTop: false, cutRight: false, cutBottom: false }],
    },
  ];
  if (!input.tiled) return levels;
  const detailScale = input.detail ? Math.min(MAX_DETAIL_SCALE, DETAIL_SIDE / Math.max(w, h)) : 0;
  let finest = Math.max(iw / input.fineWindow, detailScale);
  const windowsAt = (scale: number) =>
    windowStarts(Math.round(w * scale), iw).length * windowStarts(Math.round(h * scale), ih).length;
  while (finest > coarseScale * MIN_GAIN && windowsAt(finest) > MAX_FINE_WINDOWS) finest *= 0.95;
  for (let scale = finest; scale > coarseScale * MIN_GAIN; scale /= LEVEL_STEP) {
    // A thin picture's short side can round to nothing at a coarse level; a level is at least a pixel each way.
    const width = Math.max(1, Math.round(w * scale));
    const height = Math.max(1, Math.round(h * scale));
    const xs = windowStarts(width, iw);
    const ys = windowStarts(height, ih);
    const windows: PlannedWindow[] = [];
    for (const y of ys) {
      for (const x of xs) {
        windows.push({
          x,
          y,
          cutLeft: x > 0,
          cutTop: y > 0,
          cutRight: x + iw < width,
          cutBottom: y + ih < height,
        });
      }
    }
    levels.push({ scaleX: width / w, scaleY: height / h, width, height, windows });
  }
  return levels;
}

/** Evenly spread window starts covering [0, length) with at least OVERLAP shared between neighbours. */
export function windowStarts(length: number, window: number): number[] {
  if (length <= window) return [0];
  const stride = window * (1 - OVERLAP);
  const count = Math.ceil((length - window) / stride) + 1;
  const step = (length - window) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.round(i * step));
}
