import type { InputSpec } from "./models/detector-model";
import type { RgbImage } from "./types";

/**
 * Copy one window of an RGB image into a model's input tensor, normalised as the model expects. Pixels past the
 * image's right or bottom edge are black, as in MediaPipe's letterbox.
 */
export function windowTensor(image: RgbImage, left: number, top: number, spec: InputSpec): Float32Array {
  const { width: iw, height: ih, mean, std } = spec;
  const tensor = new Float32Array(iw * ih * 3);
  const black = -mean / std;
  const plane = iw * ih;
  const nchw = spec.layout === "nchw";
  if (black !== 0) tensor.fill(black);
  const rows = Math.min(ih, image.height - top);
  const cols = Math.min(iw, image.width - left);
  const src = image.data;
  for (let y = 0; y < rows; y++) {
    let s = ((top + y) * image.width + left) * 3;
    for (let x = 0; x < cols; x++, s += 3) {
      const r = ((src[s] as number) - mean) / std;
      const g = ((src[s + 1] as number) - mean) / std;
      const b = ((src[s + 2] as number) - mean) / std;
      const p = y * iw + x;
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
