import { weightedNms } from "../nms";
import type { Face, Point } from "../types";
import type { DetectorModel } from "./detector-model";
import { packageFile } from "./package-file";

const SIZE = 192;
/** One anchor per cell of a 48 × 48 grid (stride 4): MediaPipe's full-range SSD options. */
const CELLS = 48;
const REGRESSOR_WIDTH = 16; // x, y, w, h, then six keypoints (x, y)
const LOGIT_CLIP = 100;

/**
 * MediaPipe's full-range face detector (`face_detection_full_range_sparse.tflite` from @mediapipe/face_detection,
 * run by LiteRT in the inference workers): trained for faces up to about 5 m from the camera, it sees faces of a
 * few percent of its 192-px input, where BlazeFace back needs about 16 px of 256. Same six keypoints as BlazeFace:
 * right eye, left eye, nose tip, mouth, right ear, left ear.
 */
export function mediaPipeFullRange(): DetectorModel {
  return {
    name: "mediapipe-full-range",
    modelPath: packageFile("@mediapipe/face_detection", "face_detection_full_range_sparse.tflite"),
    input: { name: "input_1", width: SIZE, height: SIZE, layout: "nhwc", mean: 127.5, std: 127.5 },
    fineWindow: 192,
    // Its box, like BlazeFace's, is a square from the brows to below the mouth; WIDER FACE's faces are 0.87 × as wide
    // and 1.15 × as tall, centred 0.07 of the box higher (medians over 169 matched faces of the real-photo set).
    boxStyle: { width: 0.87, height: 1.15, shiftY: -0.07 },
    decode: (outputs, minScore) => weightedNms(decodeGrid(outputs, minScore)),
  };
}

function decodeGrid(outputs: Record<string, Float32Array>, minScore: number): Face[] {
  const logits = outputs.Identity_1;
  const regressors = outputs.Identity;
  if (!logits || !regressors)
    throw new Error("MediaPipe full-range outputs Identity and Identity_1 are missing");
  const minLogit = Math.log(minScore / (1 - minScore));
  const faces: Face[] = [];
  for (let index = 0; index < logits.length; index++) {
    const logit = Math.min(Math.max(logits[index] as number, -LOGIT_CLIP), LOGIT_CLIP);
    if (logit < minLogit) continue;
    const anchorX = ((index % CELLS) + 0.5) / CELLS;
    const anchorY = (Math.floor(index / CELLS) + 0.5) / CELLS;
    const r = regressors.subarray(index * REGRESSOR_WIDTH, (index + 1) * REGRESSOR_WIDTH);
    const cx = anchorX + (r[0] as number) / SIZE;
    const cy = anchorY + (r[1] as number) / SIZE;
    const width = (r[2] as number) / SIZE;
    const height = (r[3] as number) / SIZE;
    const landmarks: Point[] = [];
    for (let k = 0; k < 6; k++)
      landmarks.push([anchorX + (r[4 + 2 * k] as number) / SIZE, anchorY + (r[5 + 2 * k] as number) / SIZE]);
    faces.push({
      box: { x: cx - width / 2, y: cy - height / 2, width, height },
      score: 1 / (1 + Math.exp(-logit)),
      landmarks,
    });
  }
  return faces;
}
