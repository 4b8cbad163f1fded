import type { Face } from "../types";

/** How a model wants its input tensor laid out and scaled: value = (pixel - mean) / std. */
export interface InputSpec {
  name: string;
  width: number;
  height: number;
  layout: "nhwc" | "nchw";
  mean: number;
  std: number;
}

/**
 * A face detector the engine can tile: it sees a fixed-size window and reports faces in that window's
 * normalised coordinates (0..1 across the input tensor). Everything model-specific lives behind this interface.
 */
export interface DetectorModel {
  /** Short stable name, used by the CLI, eval and configuration. */
  name: string;
  /** Absolute path of the ONNX file inside node_modules. */
  modelPath: string;
  input: InputSpec;
  /**
   * The window size, in source pixels, at the finest tiling level: faces of about 5% of this size and up are found.
   * Smaller windows find smaller faces but cost more passes and see less context.
   */
  fineWindow: number;
  /**
   * How the model's boxes differ from the usual face box (WIDER FACE's: brow to chin, ear to ear), as factors of
   * the model's box: the engine reports boxes in the usual style, so they can be compared with published boxes.
   */
  boxStyle?: { width: number; height: number; shiftY: number };
  /** Decode raw outputs of one window into faces, in 0..1 window coordinates, already de-duplicated. */
  decode(outputs: Record<string, Float32Array>, minScore: number): Face[];
}
