import sharp from "sharp";
import { inBatches } from "./batches";
import { iou } from "./geometry";
import type { InferencePool } from "./inference/inference-pool";
import { blazeFace } from "./models/blazeface";
import type { DetectorModel, InputSpec } from "./models/detector-model";
import { blankTensor, inputDims, toTensor } from "./tensor";
import type { Box, Face, Point, RgbImage } from "./types";

/** Face side, as a fraction of the input, at which BlazeFace is most sure of itself (measured: 40–72 px of 256). */
const SWEET_SPOT = 0.22;
const MIN_SECOND_LOOK_SCORE = 0.05;
const SAME_PLACE_IOU = 0.3;
/**
 * Candidates scoring this high on the first look are faces; a second look would only cost time. On the real-photo
 * set 0.75 keeps more half-hidden and masked faces than 0.85 (a second look at them scores lower than the first)
 * with the same false faces; 0.65 lets look-alikes through (3 false faces instead of 1).
 */
const SURE_SCORE = 0.75;
/**
 * The cheap selfie-model looks must both reach this for a candidate to be looked at again by the main model. On the
 * real-photo set (npm run eval) 0.45 let two more look-alikes through on the face-free photos (a road sign, a
 * motorcycle) for 0.02 more AP on hard faces.
 */
const QUICK_LOOK_SCORE = 0.55;

const quickModel = blazeFace("front");
/**
 * Four candidates per pass of the main model (see Mosaic), each filling 30 % of its quarter: a fifth of the main
 * model's passes on the real-photo set, at the same AP (one at a time, 22 % of the input: 0.02 less on hard faces).
 */
const MAIN_MOSAIC: Mosaic = { columns: 2, rows: 2, faceFraction: 0.3 };

/**
 * Second opinions on the uncertain candidates, cheapest first. A face looks like a face to both BlazeFace models,
 * framed and mirrored; most look-alikes (fur, fabric, a wheel, a badge) fail at least one of these looks.
 *   1. The 128-px selfie model, as is and mirrored (a quarter of the main model's cost): most look-alikes drop out.
 *   2. The main model, as is and mirrored, for what is left, four candidates to a pass.
 * The score becomes the geometric mean of the first look and the weakest second look, so a face must convince
 * every look; box and landmarks come from the main model's framed look, which places small faces better than the
 * tiled first pass did. On the eval set (see npm run eval), step 1 removes 88% of the false candidates and no face.
 */
export async function secondLook(
  image: RgbImage,
  faces: readonly Face[],
  model: DetectorModel,
  pool: InferencePool,
  signal: AbortSignal = new AbortController().signal,
): Promise<Face[]> {
  const sure = faces.filter((face) => face.score >= SURE_SCORE);
  const uncertain = faces.filter((face) => face.score < SURE_SCORE);
  const checked = await lookAgain(image, uncertain, model, pool, signal);
  return [...sure, ...checked.filter((face): face is Face => face !== null)];
}

/**
 * The two steps of the second look for every candidate, whatever its score: the confirmed face (reframed, with the
 * combined score) or null where a look found nothing there. Exported for candidates of another detector, which
 * BlazeFace checks the same way.
 */
export async function lookAgain(
  image: RgbImage,
  candidates: readonly Face[],
  model: DetectorModel,
  pool: InferencePool,
  signal: AbortSignal = new AbortController().signal,
): Promise<Array<Face | null>> {
  // Candidates go in bounded batches (a texture can yield thousands), each batch one request of two looks apiece.
  const quick = await inBatches(candidates, (batch) => lookTwice(image, batch, quickModel, pool), signal);
  const survivors = candidates
    .map((face, index) => ({ face, index, quickScore: weakest(quick[index]) }))
    .filter(({ quickScore }) => quickScore >= QUICK_LOOK_SCORE);
  const main = await inBatches(
    survivors.map(({ face }) => face),
    (batch) => lookTwice(image, batch, model, pool, MAIN_MOSAIC),
    signal,
  );
  const results: Array<Face | null> = candidates.map(() => null);
  survivors.forEach(({ face, index, quickScore }, i) => {
    const look = main[i];
    if (look?.framed)
      results[index] = { ...look.framed, score: Math.sqrt(face.score * Math.min(quickScore, weakest(look))) };
  });
  return results;
}

interface TwoLooks {
  /** What the model finds at the candidate's place, in source pixels; null if nothing. */
  framed: Face | null;
  /** The score of the same place in the mirrored picture (0 if nothing). */
  mirroredScore: number;
}

function weakest(look: TwoLooks | undefined): number {
  return Math.min(look?.framed?.score ?? 0, look?.mirroredScore ?? 0);
}

/**
 * How many candidates share one model pass: the main model sees faces well down to a small fraction of its input,
 * so it looks at a 2 × 2 mosaic of candidates, each centred in its own quarter; the selfie model needs the face to
 * fill its input and sees one candidate at a time.
 */
export interface Mosaic {
  columns: number;
  rows: number;
  /** Face side as a fraction of its cell. */
  faceFraction: number;
}

const SINGLE: Mosaic = { columns: 1, rows: 1, faceFraction: SWEET_SPOT };

/**
 * Show the model each candidate again, centred and at the scale it sees faces best, once as is and once mirrored
 * (mirroring a mosaic mirrors every cell into the opposite column), all in one inference request.
 */
async function lookTwice(
  image: RgbImage,
  candidates: readonly Face[],
  model: DetectorModel,
  pool: InferencePool,
  mosaic: Mosaic = SINGLE,
): Promise<TwoLooks[]> {
  const { input } = model;
  const perPass = mosaic.columns * mosaic.rows;
  const cellWidth = Math.floor(input.width / mosaic.columns);
  const cellHeight = Math.floor(input.height / mosaic.rows);
  const framings = await Promise.all(
    candidates.map((face, i) => {
      const cell = i % perPass;
      return frame(image, face, input, {
        x: (cell % mosaic.columns) * cellWidth,
        y: Math.floor(cell / mosaic.columns) * cellHeight,
        width: cellWidth,
        height: cellHeight,
        faceFraction: mosaic.faceFraction,
      });
    }),
  );
  const passes: Array<typeof framings> = [];
  for (let i = 0; i < framings.length; i += perPass) passes.push(framings.slice(i, i + perPass));
  const dims = inputDims(input);
  const tensorOf = (group: typeof framings, mirrored: boolean) => {
    const tensor = blankTensor(input);
    for (const f of group) f.fill(tensor, mirrored);
    return tensor;
  };
  const outputs = await pool.run(
    model.modelPath,
    passes.flatMap((group) => [
      { name: input.name, data: tensorOf(group, false), dims },
      { name: input.name, data: tensorOf(group, true), dims },
    ]),
  );
  return framings.map((f, i) => {
    const pass = Math.floor(i / perPass);
    const framed = bestAt(model.decode(outputs[2 * pass] ?? {}, MIN_SECOND_LOOK_SCORE), f.expected);
    const mirrored = bestAt(
      model.decode(outputs[2 * pass + 1] ?? {}, MIN_SECOND_LOOK_SCORE),
      mirrorBox(f.expected),
    );
    return { framed: framed ? f.toSource(framed) : null, mirroredScore: mirrored?.score ?? 0 };
  });
}

function bestAt(found: Face[], expected: Box): Face | null {
  let best: Face | null = null;
  for (const face of found) {
    if (iou(face.box, expected) > SAME_PLACE_IOU && face.score > (best?.score ?? 0)) best = face;
  }
  return best;
}

function mirrorBox(box: Box): Box {
  return { ...box, x: 1 - box.x - box.width };
}

interface Cell {
  /** The cell's place in the input, in input pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  faceFraction: number;
}

/** The candidate's surroundings, scaled so the face is `faceFraction` of its cell, black beyond the image edges. */
async function frame(image: RgbImage, face: Face, input: InputSpec, cell: Cell) {
  const scale = (cell.faceFraction * cell.width) / Math.max(face.box.width, face.box.height);
  // Source coordinates of the cell's top-left corner.
  const left = face.box.x + face.box.width / 2 - cell.width / 2 / scale;
  const top = face.box.y + face.box.height / 2 - cell.height / 2 / scale;
  const x0 = Math.max(0, Math.floor(left));
  const y0 = Math.max(0, Math.floor(top));
  const x1 = Math.min(image.width, Math.ceil(left + cell.width / scale));
  const y1 = Math.min(image.height, Math.ceil(top + cell.height / scale));
  const w = Math.max(1, Math.min(cell.width, Math.round((x1 - x0) * scale)));
  const h = Math.max(1, Math.min(cell.height, Math.round((y1 - y0) * scale)));
  const pixels = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: x0, top: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) })
    .resize(w, h, { fit: "fill" })
    .raw()
    .toBuffer();
  const offsetX = cell.x + Math.min(cell.width - w, Math.max(0, Math.round((x0 - left) * scale)));
  const offsetY = cell.y + Math.min(cell.height - h, Math.max(0, Math.round((y0 - top) * scale)));
  // Source pixels → normalised input coordinates, and back.
  const toInputX = (v: number) => (cell.x + (v - left) * scale) / input.width;
  const toInputY = (v: number) => (cell.y + (v - top) * scale) / input.height;
  const px = (nx: number) => left + (nx * input.width - cell.x) / scale;
  const py = (ny: number) => top + (ny * input.height - cell.y) / scale;
  return {
    expected: {
      x: toInputX(face.box.x),
      y: toInputY(face.box.y),
      width: (face.box.width * scale) / input.width,
      height: (face.box.height * scale) / input.height,
    },
    fill: (tensor: Float32Array, mirrored: boolean) =>
      toTensor({ data: pixels, width: w, height: h }, input, { offsetX, offsetY, mirrored, into: tensor }),
    toSource: (found: Face): Face => ({
      score: found.score,
      box: {
        x: px(found.box.x),
        y: py(found.box.y),
        width: (found.box.width * input.width) / scale,
        height: (found.box.height * input.height) / scale,
      },
      landmarks: found.landmarks.map(([x, y]): Point => [px(x), py(y)]),
    }),
  };
}
