import { blazeFace } from "./blazeface";
import type { DetectorModel } from "./detector-model";
import { ultraFaceRfb320 } from "./ultraface";

export const DETECTOR_NAMES = ["blazeface", "rfb320"] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

const factories: Record<DetectorName, () => DetectorModel> = {
  blazeface: () => blazeFace("back"),
  rfb320: ultraFaceRfb320,
};

export function detectorModel(name: DetectorName): DetectorModel {
  return factories[name]();
}
