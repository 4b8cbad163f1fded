import type { Candidate } from "./candidate";
import { currentEngine } from "./engine";
import { faceApiSsd } from "./face-api-ssd";
import { faceBoxes } from "./faceboxes";
import { fused } from "./fusion";
import { mediapipeFull } from "./mediapipe-full";
import { mtcnn } from "./mtcnn";
import { retinaFace } from "./retinaface";

/** Every candidate `npm run eval:candidates` knows, the current engine first as the reference. */
export function allCandidates(): Candidate[] {
  return [
    currentEngine(),
    faceBoxes([1]),
    faceBoxes([1, 3]),
    mediapipeFull(false),
    mediapipeFull(true),
    mediapipeFull(false, "litert"),
    mediapipeFull(true, "litert"),
    faceApiSsd(false),
    faceApiSsd(true),
    retinaFace(),
    retinaFace(640),
    retinaFace(427),
    retinaFace(320),
    fused(currentEngine(), retinaFace(427)),
    mtcnn(),
  ];
}

export type { Candidate } from "./candidate";
