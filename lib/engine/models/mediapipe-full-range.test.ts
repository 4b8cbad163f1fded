import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { detectFaces } from "../detect-faces";
import { decodeImage } from "../image/decode-image";
import { InferencePool } from "../inference/inference-pool";
import type { Point } from "../types";
import { mediaPipeFullRange } from "./mediapipe-full-range";
import { packageFile } from "./package-file";

const pool = new InferencePool({ workers: 1, threadsPerWorker: 1 });
afterAll(() => pool.close());

describe("MediaPipe full-range through LiteRT in the inference worker", () => {
  it("finds the faces of a demo photo in one pass, with six keypoints in MediaPipe's order", async () => {
    const image = await decodeImage(readFileSync(packageFile("@vladmandic/face-api", "demo/sample1.jpg")));
    const faces = await detectFaces(image, mediaPipeFullRange(), pool, {
      tiled: false,
      verify: false,
      minScore: 0.5,
      detail: false,
    });
    expect(faces.length).toBeGreaterThanOrEqual(3);
    for (const face of faces) {
      expect(face.landmarks).toHaveLength(6);
      const [rightEye, leftEye, , mouth] = face.landmarks as [Point, Point, Point, Point];
      expect(mouth[1]).toBeGreaterThan(Math.max(rightEye[1], leftEye[1]));
      // The subject's right eye is on the picture's left.
      expect(rightEye[0]).toBeLessThan(leftEye[0]);
    }
  });
});
