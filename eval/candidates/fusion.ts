import { mergeAcrossPasses } from "../../lib/engine/merge";
import type { Face } from "../../lib/engine/types";
import type { Candidate } from "./candidate";

/**
 * Two detectors on the same photo, their boxes merged as the engine merges its own passes (same face by IoU >
 * 0.3: score-weighted mean box, best score kept). The scores are not calibrated against each other, so this is
 * the simplest fusion, not weighted box fusion.
 */
export function fused(a: Candidate, b: Candidate): Candidate {
  return {
    name: `${a.name}+${b.name}`,
    source: `${a.name} and ${b.name} on each photo, merged by the engine's cross-pass merge`,
    trainedOnWiderVal: a.trainedOnWiderVal || b.trainedOnWiderVal,
    async load() {
      await a.load();
      await b.load();
    },
    async detect(image) {
      const faces = [...(await a.detect(image)), ...(await b.detect(image))];
      return mergeAcrossPasses(faces.map((f) => ({ landmarks: [], ...f }) as Face));
    },
    async close() {
      await a.close?.();
      await b.close?.();
    },
  };
}
