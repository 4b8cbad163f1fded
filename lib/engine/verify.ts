import sharp from "sharp";
import { iou } from "./geometry";
import type { InferencePool } from "./inference/inference-pool";
import type { DetectorModel } from "./models/detector-model";
import type { Face, Point, RgbImage } from "./types";

/** Face side, in input pixels, at which the detector is most sure of itself (measured: 40–72 px of 256). */
const SWEET_SPOT = 56;
const MIN_SECOND_LOOK_SCORE = 0.05;
const SAME_PLACE_IOU = 0.3;

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
      const scale = SWEET_SPOT / side;
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
