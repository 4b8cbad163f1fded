import sharp from "sharp";
import { iou } from "./geometry";
import type { InferencePool } from "./inference/inference-pool";
import { blazeFace } from "./models/blazeface";
import type { DetectorModel } from "./models/detector-model";
import type { Face, Point, RgbImage } from "./types";

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
): Promise<Face[]> {
  const sure = faces.filter((face) => face.score >= SURE_SCORE);
  const uncertain = faces.filter((face) => face.score < SURE_SCORE);
  const [quick, quickMirrored] = await Promise.all([
    lookAgain(image, uncertain, quickModel, pool),
    lookAgain(image, uncertain, quickModel, pool, { mirrored: true }),
  ]);
  const quickScores = uncertain.map((_, i) => Math.min(quick[i]?.score ?? 0, quickMirrored[i]?.score ?? 0));
  const survivors = uncertain.filter((_, i) => (quickScores[i] as number) >= QUICK_LOOK_SCORE);
  const survivorQuickScores = quickScores.filter((score) => score >= QUICK_LOOK_SCORE);
  const [main, mainMirrored] = await Promise.all([
    lookAgain(image, survivors, model, pool),
    lookAgain(image, survivors, model, pool, { mirrored: true }),
  ]);
  const confirmed = survivors.flatMap((face, i) => {
    const framed = main[i];
    const mirrored = mainMirrored[i];
    if (!framed || !mirrored) return [];
    const weakest = Math.min(framed.score, mirrored.score, survivorQuickScores[i] as number);
    return [{ ...framed, score: Math.sqrt(face.score * weakest) }];
  });
  return [...sure, ...confirmed];
}

/**
 * Look again at each candidate, centred and at the scale the model sees faces best, and return what that look
 * finds at the same place (null where it finds nothing), in source pixels. Textures that pass as a face in one
 * window at one scale rarely do so again when framed this way; real faces do, with a better-placed box.
 */
export async function lookAgain(
  image: RgbImage,
  candidates: readonly Face[],
  model: DetectorModel,
  pool: InferencePool,
  { mirrored = false } = {},
): Promise<Array<Face | null>> {
  const { input } = model;
  const windows = await Promise.all(
    candidates.map(async (face) => {
      const side = Math.max(face.box.width, face.box.height);
      const scale = (SWEET_SPOT * input.width) / side;
      const cx = face.box.x + face.box.width / 2;
      const cy = face.box.y + face.box.height / 2;
      // The window in source pixels, then clamped to the image; what falls outside stays black.
      const left = cx - input.width / 2 / scale;
      const top = cy - input.height / 2 / scale;
      const x0 = Math.max(0, Math.floor(left));
      const y0 = Math.max(0, Math.floor(top));
      const x1 = Math.min(image.width, Math.ceil(left + input.width / scale));
      const y1 = Math.min(image.height, Math.ceil(top + input.height / scale));
      const w = Math.max(1, Math.min(input.width, Math.round((x1 - x0) * scale)));
      const h = Math.max(1, Math.min(input.height, Math.round((y1 - y0) * scale)));
      let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
        .resize(w, h, { fit: "fill" });
      if (mirrored) pipeline = pipeline.flop();
      const pixels = await pipeline.raw().toBuffer();
      let offsetX = Math.min(input.width - w, Math.max(0, Math.round((x0 - left) * scale)));
      if (mirrored) offsetX = input.width - w - offsetX;
      const offsetY = Math.min(input.height - h, Math.max(0, Math.round((y0 - top) * scale)));
      const expectedX = ((face.box.x - left) * scale) / input.width;
      const expected = {
        x: mirrored ? 1 - expectedX - (face.box.width * scale) / input.width : expectedX,
        y: ((face.box.y - top) * scale) / input.height,
        width: (face.box.width * scale) / input.width,
        height: (face.box.height * scale) / input.height,
      };
      return { tensor: placeInTensor(pixels, w, h, offsetX, offsetY, model), expected, left, top, scale };
    }),
  );
  const outputs = await pool.run(
    model.modelPath,
    windows.map((w) => ({
      name: input.name,
      data: w.tensor,
      dims: input.layout === "nhwc" ? [1, input.height, input.width, 3] : [1, 3, input.height, input.width],
    })),
  );
  return windows.map((w, i) => {
    let best: Face | null = null;
    for (const found of model.decode(outputs[i] ?? {}, MIN_SECOND_LOOK_SCORE)) {
      if (iou(found.box, w.expected) > SAME_PLACE_IOU && found.score > (best?.score ?? 0)) best = found;
    }
    if (!best) return null;
    const px = (nx: number) => w.left + (nx * input.width) / w.scale;
    const py = (ny: number) => w.top + (ny * input.height) / w.scale;
    return {
      score: best.score,
      box: {
        x: px(best.box.x),
        y: py(best.box.y),
        width: (best.box.width * input.width) / w.scale,
        height: (best.box.height * input.height) / w.scale,
      },
      landmarks: best.landmarks.map(([x, y]): Point => [px(x), py(y)]),
    };
  });
}

function placeInTensor(pixels: Buffer, w: number, h: number, ox: number, oy: number, model: DetectorModel) {
  const { width: iw, height: ih, mean, std, layout } = model.input;
  const tensor = new Float32Array(iw * ih * 3).fill(-mean / std);
  const plane = iw * ih;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const p = (oy + y) * iw + ox + x;
      for (let c = 0; c < 3; c++) {
        const v = ((pixels[s + c] as number) - mean) / std;
        if (layout === "nchw") tensor[c * plane + p] = v;
        else tensor[p * 3 + c] = v;
      }
    }
  }
  return tensor;
}
