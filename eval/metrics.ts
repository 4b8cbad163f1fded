import { iou } from "../lib/engine/geometry";
import type { Box } from "../lib/engine/types";

/** A detection counts as a face when it overlaps an unmatched labelled face by at least this IoU. */
export const MATCH_IOU = 0.4;

export interface Counts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export interface Scores extends Counts {
  precision: number;
  recall: number;
  f1: number;
}

/** Greedy one-to-one matching, best-scored detection first, as in the usual detection benchmarks. */
export function countMatches(
  labels: readonly Box[],
  detections: ReadonlyArray<{ box: Box; score: number }>,
): Counts {
  const unmatched = new Set(labels.map((_, i) => i));
  let truePositives = 0;
  for (const detection of [...detections].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = MATCH_IOU;
    for (const i of unmatched) {
      const overlap = iou(detection.box, labels[i] as Box);
      if (overlap >= bestIou) {
        best = i;
        bestIou = overlap;
      }
    }
    if (best >= 0) {
      unmatched.delete(best);
      truePositives++;
    }
  }
  return { truePositives, falsePositives: detections.length - truePositives, falseNegatives: unmatched.size };
}

export function addCounts(a: Counts, b: Counts): Counts {
  return {
    truePositives: a.truePositives + b.truePositives,
    falsePositives: a.falsePositives + b.falsePositives,
    falseNegatives: a.falseNegatives + b.falseNegatives,
  };
}

export function toScores(counts: Counts): Scores {
  const detected = counts.truePositives + counts.falsePositives;
  const labelled = counts.truePositives + counts.falseNegatives;
  const precision = detected > 0 ? counts.truePositives / detected : 1;
  const recall = labelled > 0 ? counts.truePositives / labelled : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { ...counts, precision, recall, f1 };
}
