import { weightedNms } from "../nms";
import type { Face } from "../types";
import type { DetectorModel } from "./detector-model";
import { packageFile } from "./package-file";

const WIDTH = 320;
const HEIGHT = 240;
const MIN_SIZES = [
  [10, 16, 24],
  [32, 48],
  [64, 96],
  [128, 192, 256],
] as const;
const STRIDES = [8, 16, 32, 64] as const;
const CENTER_VARIANCE = 0.1;
const SIZE_VARIANCE = 0.2;

/** Prior boxes (cx, cy, w, h), normalised, in the order the model emits them: level, row, column, size. */
const PRIORS: Float32Array = (() => {
  const priors: number[] = [];
  STRIDES.forEach((stride, level) => {
    const cols = Math.ceil(WIDTH / stride);
    const rows = Math.ceil(HEIGHT / stride);
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        for (const size of MIN_SIZES[level] ?? []) {
          priors.push(
            ((col + 0.5) * stride) / WIDTH,
            ((row + 0.5) * stride) / HEIGHT,
            size / WIDTH,
            size / HEIGHT,
          );
        }
      }
    }
  });
  return Float32Array.from(priors);
})();

/**
 * Ultra-Light-Fast-Generic-Face-Detector RFB-320 as shipped by faceplugin-face-recognition-js (4420 SSD priors,
 * softmax scores, centre/size variances 0.1/0.2). It predicts boxes only: no landmarks.
 */
export function ultraFaceRfb320(): DetectorModel {
  return {
    name: "rfb320",
    modelPath: packageFile("faceplugin-face-recognition-js", "model/fr_detect.onnx"),
    input: { name: "input", width: WIDTH, height: HEIGHT, layout: "nchw", mean: 127, std: 128 },
    fineWindow: 800,
    decode: (outputs, minScore) => weightedNms(decodePriors(outputs, minScore), 0.3),
  };
}

function decodePriors(outputs: Record<string, Float32Array>, minScore: number): Face[] {
  const scores = outputs.scores;
  const boxes = outputs.boxes;
  if (!scores || !boxes) throw new Error("RFB-320 outputs 'scores' and 'boxes' are missing");
  const faces: Face[] = [];
  const count = PRIORS.length / 4;
  for (let i = 0; i < count; i++) {
    const score = scores[i * 2 + 1] as number;
    if (score < minScore) continue;
    const [pcx, pcy, pw, ph] = PRIORS.subarray(i * 4, i * 4 + 4) as unknown as [
      number,
      number,
      number,
      number,
    ];
    const cx = pcx + (boxes[i * 4] as number) * CENTER_VARIANCE * pw;
    const cy = pcy + (boxes[i * 4 + 1] as number) * CENTER_VARIANCE * ph;
    const width = pw * Math.exp((boxes[i * 4 + 2] as number) * SIZE_VARIANCE);
    const height = ph * Math.exp((boxes[i * 4 + 3] as number) * SIZE_VARIANCE);
    faces.push({ box: { x: cx - width / 2, y: cy - height / 2, width, height }, score, landmarks: [] });
  }
  return faces;
}
