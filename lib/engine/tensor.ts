import type { InputSpec } from "./models/detector-model";
import type { RgbImage } from "./types";

/** The input tensor's shape for one image. */
export function inputDims(spec: InputSpec): number[] {
  return spec.layout === "nhwc" ? [1, spec.height, spec.width, 3] : [1, 3, spec.height, spec.width];
}

/** An input tensor of black pixels, as the model's normalisation makes them. */
export function blankTensor(spec: InputSpec): Float32Array {
  return new Float32Array(spec.width * spec.height * 3).fill(-spec.mean / spec.std);
}

/**
 * Fill a model's input tensor from pixels, normalised as the model expects: the part of `image` starting at
 * (`left`, `top`) lands at (`offsetX`, `offsetY`) of the input, optionally mirrored left to right. Input pixels the
 * image doesn't reach stay black, as in MediaPipe's letterbox.
 */
export function toTensor(
  image: RgbImage,
  spec: InputSpec,
  {
    left = 0,
    top = 0,
    offsetX = 0,
    offsetY = 0,
    mirrored = false,
    into,
  }: {
    left?: number;
    top?: number;
    offsetX?: number;
    offsetY?: number;
    mirrored?: boolean;
    /** Fill this tensor (from blankTensor) instead of a new one: several pictures can share one input. */
    into?: Float32Array;
  } = {},
): Float32Array {
  const { width: iw, height: ih, mean, std } = spec;
  const tensor = into ?? blankTensor(spec);
  const plane = iw * ih;
  const nchw = spec.layout === "nchw";
  const rows = Math.min(ih - offsetY, image.height - top);
  const cols = Math.min(iw - offsetX, image.width - left);
  const src = image.data;
  for (let y = 0; y < rows; y++) {
    let s = ((top + y) * image.width + left) * 3;
    for (let x = 0; x < cols; x++, s += 3) {
      const column = mirrored ? iw - 1 - (offsetX + x) : offsetX + x;
      const p = (offsetY + y) * iw + column;
      const r = ((src[s] as number) - mean) / std;
      const g = ((src[s + 1] as number) - mean) / std;
      const b = ((src[s + 2] as number) - mean) / std;
      if (nchw) {
        tensor[p] = r;
        tensor[plane + p] = g;
        tensor[2 * plane + p] = b;
      } else {
        tensor[p * 3] = r;
        tensor[p * 3 + 1] = g;
        tensor[p * 3 + 2] = b;
      }
    }
  }
  return tensor;
}
