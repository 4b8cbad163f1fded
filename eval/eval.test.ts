import { afterAll, describe, expect, it } from "vitest";
import { aboveConfidence, createFaceEngine } from "../lib/engine/face-engine";
import baseline from "./baseline.json";
import { buildEvalSet } from "./dataset";
import { evaluate } from "./evaluate";

/**
 * Holds the engine to the numbers recorded by `npm run eval -- --record` (eval/baseline.json). Faces are counted,
 * not timed. The slack is one face per group: thread scheduling may move a borderline score by a hair.
 */
describe("accuracy on the eval set", () => {
  const engine = createFaceEngine();
  afterAll(() => engine.close());

  it("does not fall below the recorded recall and precision", async () => {
    const images = await buildEvalSet();
    const report = await evaluate("engine", images, async (image) =>
      aboveConfidence((await engine.detectImage(image.bytes, { crops: false })).faces, baseline.confidence),
    );
    const labelled = images.reduce((n, image) => n + image.faces.length, 0);
    expect(report.overall.recall).toBeGreaterThanOrEqual(baseline.overall.recall - 1 / labelled);
    expect(report.overall.precision).toBeGreaterThanOrEqual(baseline.overall.precision - 0.01);
    for (const [group, recorded] of Object.entries(baseline.groups)) {
      const scores = report.groups.get(group);
      expect(scores, group).toBeDefined();
      const faces = images
        .filter((image) => image.group === group)
        .reduce((n, image) => n + image.faces.length, 0);
      expect(scores?.recall, group).toBeGreaterThanOrEqual(recorded.recall - (faces > 0 ? 1 / faces : 0));
      expect(scores?.falsePositives, group).toBeLessThanOrEqual(recorded.falsePositives + 1);
    }
  });
});
