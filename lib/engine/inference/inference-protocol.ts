/** Messages between the engine and inference-worker.mjs. */

export interface TensorInput {
  name: string;
  data: Float32Array;
  dims: number[];
}

export interface InferenceRequest {
  id: number;
  modelPath: string;
  /** Run once per entry, in order; one result per entry. */
  inputs: TensorInput[];
}

export type InferenceReply =
  | { id: number; outputs: Array<Record<string, Float32Array>> }
  | { id: number; error: string };
