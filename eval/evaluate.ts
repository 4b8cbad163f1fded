import type { Box } from "../lib/engine/types";
import type { EvalImage } from "./dataset";
import { addCounts, type Counts, countMatches, type Scores, toScores } from "./metrics";

export type Detect = (image: EvalImage) => Promise<Array<{ box: Box; score: number }>>;

export interface EvalReport {
  system: string;
  groups: Map<string, Scores>;
  overall: Scores;
}

const ZERO: Counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };

/** Run a detector over the eval set and score it per group and overall. */
export async function evaluate(
  system: string,
  images: readonly EvalImage[],
  detect: Detect,
): Promise<EvalReport> {
  const byGroup = new Map<string, Counts>();
  let overall = ZERO;
  for (const image of images) {
    const counts = countMatches(image.faces, await detect(image));
    byGroup.set(image.group, addCounts(byGroup.get(image.group) ?? ZERO, counts));
    overall = addCounts(overall, counts);
  }
  return {
    system,
    groups: new Map([...byGroup].map(([group, counts]) => [group, toScores(counts)])),
    overall: toScores(overall),
  };
}
