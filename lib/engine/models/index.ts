import { blazeFace } from "./blazeface";
import type { DetectorModel } from "./detector-model";
import { mediaPipeFullRange } from "./mediapipe-full-range";
import { ultraFaceRfb320 } from "./ultraface";

export const DETECTOR_NAMES = ["blazeface", "rfb320", "mediapipe-full-range"] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

const factories: Record<DetectorName, () => DetectorModel> = {
  blazeface: () => blazeFace("back"),
  rfb320: ultraFaceRfb320,
  "mediapipe-full-range": mediaPipeFullRange,
};

export function detectorModel(name: DetectorName): DetectorModel {
  return factories[name]();
}
