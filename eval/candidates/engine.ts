import { createFaceEngine, type FaceEngine } from "../../lib/engine/face-engine";
import type { Candidate } from "./candidate";

/** The product's engine as it stands (lib/engine, default options), the reference row of the candidates' table. */
export function currentEngine(): Candidate {
  let engine: FaceEngine | undefined;
  return {
    name: "engine",
    source:
      "lib/engine createFaceEngine() defaults (BlazeFace back, tiled, second look; onnxruntime-node workers)",
    async load() {
      engine ??= createFaceEngine();
    },
    async detect(image) {
      // detectImage looks at photos with `detail` on; the adapters get decoded pixels, so ask for it here too.
      return (engine as FaceEngine).detectPixels(image, { detail: true });
    },
    async close() {
      await engine?.close();
      engine = undefined;
    },
  };
}
