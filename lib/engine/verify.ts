import sharp from "sharp";
import { inBatches } from "./batches";
import { iou } from "./geometry";
import type { InferencePool } from "./inference/inference-pool";
import { blazeFace } from "./models/blazeface";
import type { DetectorModel, InputSpec } from "./models/detector-model";
import { inputDims, toTensor } from "./tensor";
import type { Box, Face, Point, RgbImage } from "./types";

/** Face side, as a fraction of the input, at which BlazeFace is most sure of itself (measured: 40–72 px of 256). */
const SWEET_SPOT = 0.22;
const MIN_SECOND_LOOK_SCORE = 0.05;
const SAME_PLACE_IOU = 0.3;
/** Candidates scoring this high on the first look are faces; a second look would only cost time. */
const SURE_SCORE = 0.85;
/** The cheap selfie-model looks must both reach this for a candidate to be looked at again by the main model. */
const QUICK_LOOK_SCORE = 0.45;

const quickModel = blazeFace("front");

/**
 * Second opinions on the uncertain candidates, cheapest first. A face looks like a face to both BlazeFace models,
 * framed and mirrored; most look-alikes (fur, fabric, a wheel, a badge) fail at least one of these looks.
 *   1. The 128-px selfie model, as is and mirrored (a quarter of the main model's cost): most look-alikes drop out.
 *   2. The main model, as is and mirrored, for what is left.
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
  // Candidates go in bounded batches (a texture can yield thousands), each batch one request of two looks apiece.
  const quick = await inBatches(uncertain, (batch) => lookTwice(image, batch, quickModel, pool), signal);
  const survivors = uncertain
    .map((face, i) => ({ face, quickScore: weakest(quick[i]) }))
    .filter(({ quickScore }) => quickScore >= QUICK_LOOK_SCORE);
  const main = await inBatches(
    survivors.map(({ face }) => face),
    (batch) => lookTwice(image, batch, model, pool),
    signal,
  );
  const confirmed = survivors.flatMap(({ face, quickScore }, i) => {
    const look = main[i];
    if (!look?.framed) return [];
    return [{ ...look.framed, score: Math.sqrt(face.score * Math.min(quickScore, weakest(look))) }];
  });
  return [...sure, ...confirmed];
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
 * Show the model each candidate again, centred and at the scale it sees faces best, once as is and once mirrored,
 * all in one inference request.
 */
async function lookTwice(
  image: RgbImage,
  candidates: readonly Face[],
  model: DetectorModel,
  pool: InferencePool,
): Promise<TwoLooks[]> {
  const { input } = model;
  const framings = await Promise.all(candidates.map((face) => frame(image, face, input)));
  const dims = inputDims(input);
  const outputs = await pool.run(
    model.modelPath,
    framings.flatMap((f) => [
      { name: input.name, data: f.tensor(false), dims },
      { name: input.name, data: f.tensor(true), dims },
    ]),
  );
  return framings.map((f, i) => {
    const framed = bestAt(model.decode(outputs[2 * i] ?? {}, MIN_SECOND_LOOK_SCORE), f.expected);
    const mirrored = bestAt(
      model.decode(outputs[2 * i + 1] ?? {}, MIN_SECOND_LOOK_SCORE),
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

/** The candidate's surroundings, scaled so the face is SWEET_SPOT of the input, black beyond the image edges. */
async function frame(image: RgbImage, face: Face, input: InputSpec) {
  const scale = (SWEET_SPOT * input.width) / Math.max(face.box.width, face.box.height);
  const left = face.box.x + face.box.width / 2 - input.width / 2 / scale;
  const top = face.box.y + face.box.height / 2 - input.height / 2 / scale;
  const x0 = Math.max(0, Math.floor(left));
  const y0 = Math.max(0, Math.floor(top));
  const x1 = Math.min(image.width, Math.ceil(left + input.width / scale));
  const y1 = Math.min(image.height, Math.ceil(top + input.height / scale));
  const w = Math.max(1, Math.min(input.width, Math.round((x1 - x0) * scale)));
  const h = Math.max(1, Math.min(input.height, Math.round((y1 - y0) * scale)));
  const pixels = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: x0, top: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) })
    .resize(w, h, { fit: "fill" })
    .raw()
    .toBuffer();
  const offsetX = Math.min(input.width - w, Math.max(0, Math.round((x0 - left) * scale)));
  const offsetY = Math.min(input.height - h, Math.max(0, Math.round((y0 - top) * scale)));
  const toInput = (v: number, origin: number, size: number) => ((v - origin) * scale) / size;
  return {
    expected: {
      x: toInput(face.box.x, left, input.width),
      y: toInput(face.box.y, top, input.height),
      width: (face.box.width * scale) / input.width,
      height: (face.box.height * scale) / input.height,
    },
    tensor: (mirrored: boolean) =>
      toTensor({ data: pixels, width: w, height: h }, input, { offsetX, offsetY, mirrored }),
    toSource: (found: Face): Face => {
      const px = (nx: number) => left + (nx * input.width) / scale;
      const py = (ny: number) => top + (ny * input.height) / scale;
      return {
        score: found.score,
        box: {
          x: px(found.box.x),
          y: py(found.box.y),
          width: (found.box.width * input.width) / scale,
          height: (found.box.height * input.height) / scale,
        },
        landmarks: found.landmarks.map(([x, y]): Point => [px(x), py(y)]),
      };
    },
  };
}
