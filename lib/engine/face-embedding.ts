import type { InferencePool } from "./inference/inference-pool";
import type { TensorInput } from "./inference/inference-protocol";
import { packageFile } from "./models/package-file";
import type { Face, Point, RgbImage } from "./types";

/**
 * Face embeddings: faceplugin-face-recognition-js's fr_feature.onnx, an ArcFace-style network (input "input"
 * [1,3,112,112], output "output" [1,512]), on faces aligned to the standard ArcFace 112×112 template.
 *
 * Preprocessing, as the package's own lib/fr_feature.js does it (checked against that file):
 * - It reads the picture with cv.imread from a canvas, which gives RGBA, and writes pixel[0], pixel[1], pixel[2]
 *   into planes 0, 1, 2: the channel order is RGB (not OpenCV's usual BGR), planar NCHW.
 * - Every channel is (pixel - 127) / 128 (not 127.5; no per-channel mean or std).
 * - It aligns with cv.warpAffine (bilinear, constant black border) on the 112×112 ArcFace reference points
 *   (38.2946, 51.6963), (73.5318, 51.5014), ... Its affine comes from three points (two eyes and the nose);
 *   here it is a similarity transform from the two eyes only, which cannot shear or stretch the face the way an
 *   affine fitted to three imprecise landmarks can.
 * - Its matchFeature() is not used: it subtracts the pair's mean vector from both features before the cosine,
 *   which makes the two vectors exact opposites and the score always -1. Plain cosine on L2-normalised
 *   embeddings is what ArcFace models are trained for.
 */

export const EMBEDDING_SIZE = 512;
export const ALIGNED_SIZE = 112;

/** Where the ArcFace template puts the eyes in a 112×112 crop: the image-left eye (the subject's right) first. */
export const TEMPLATE_EYES: readonly [Point, Point] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
];

/** Template eye midpoint and mouth centre (the midpoint of its two mouth corners), for faces seen side-on. */
const TEMPLATE_EYE_MID: Point = [55.9132, 51.5989];
const TEMPLATE_MOUTH: Point = [56.1396, 92.2848];
/**
 * Eye distance over eye-to-mouth distance below which a face counts as side-on. The template has 0.87; BlazeFace
 * gives 0.76-1.00 on the 21 near-frontal demo faces and 0.09 on the profile in sample2.jpg.
 */
const PROFILE_EYE_RATIO = 0.45;

const INPUT_NAME = "input";
const OUTPUT_NAME = "output";
const PIXEL_MEAN = 127;
const PIXEL_SCALE = 128;

/**
 * Two embeddings from FaceEmbedder at or above this cosine similarity are taken to be the same person.
 *
 * Measured by scripts/measure-embedding-threshold.ts on the six face-api demo photos (22 people, BlazeFace
 * landmarks from the default engine), min / p5 / median / p95 / max:
 * - same person, original vs 13 video-like variants (0.25×-0.6× rescales, ±8° rotations, JPEG q15-q40, shifted
 *   crops, brightness ×0.55 and ×1.4), 271 pairs: 0.414 / 0.752 / 0.954 / 0.990 / 0.997. The hardest variant is
 *   0.25× with JPEG q40 (faces about 45 px wide): median 0.768; the only value below 0.59 is one face there (0.414).
 * - different people, original vs original, 231 pairs: -0.216 / -0.105 / 0.036 / 0.258 / 0.613;
 *   with variant vs original too, 5922 pairs: -0.243 / -0.110 / 0.042 / 0.267 / 0.654.
 * The two overlap only through one pair of look-alikes (sample1 #2 and sample3 #1, two fair-haired smiling women:
 * 0.43-0.65); every other pair of people stays at or below 0.492. Fewest errors (false-accept rate over pairs of
 * people plus false-reject rate over same-person pairs) anywhere between 0.492 and 0.593; 0.54 is the middle:
 * 1 false reject of 271, 24 false accepts of 5922 image pairs, all from the look-alike pair (1 of 231 pairs of
 * people). Alignment is what makes this work: the same photos with unaligned square box crops (checked once, not
 * in the script) gave different people a median of 0.257 and up to 0.652, against same-person pairs at 0.4× down
 * to 0.616.
 */
export const SAME_PERSON_SIMILARITY = 0.54;

/**
 * The face as the embedding model wants it: 112×112, eyes on the ArcFace template, NCHW float32 [1,3,112,112],
 * RGB, (pixel - 127) / 128.
 *
 * `landmarks` are the engine's, in continuous pixel coordinates (pixel k spans k..k+1): the subject's right eye,
 * the left eye, the nose tip, the mouth, ... The similarity transform (rotation, uniform scale, translation) sends
 * the subject's right eye to the template's image-left eye and the left eye to its image-right eye, so a tilted
 * face comes out upright. Only for a face seen side-on (eyes closer than 0.45 × the eye-to-mouth distance) does
 * it come from the eye midpoint and the mouth instead. Output pixel (u, v) is template point (u, v), as with
 * OpenCV's warpAffine; it is sampled bilinearly from the RGB image, with black outside it. When the face is more
 * than twice as large as the crop, each output pixel averages a grid of bilinear samples (2×2 for a 2-4× downscale)
 * so that the downscale does not alias.
 */
export function alignFace(image: RgbImage, landmarks: Point[]): Float32Array {
  const { origin, target, ar, ai } = alignment(landmarks);
  const scale = Math.hypot(ar, ai); // source pixels per output pixel
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error("alignFace: the landmarks coincide");

  const taps = Math.max(1, Math.ceil(scale / 2));
  const plane = ALIGNED_SIZE * ALIGNED_SIZE;
  const out = new Float32Array(3 * plane);
  const { data, width, height } = image;
  const rgb = [0, 0, 0];

  for (let v = 0; v < ALIGNED_SIZE; v++) {
    for (let u = 0; u < ALIGNED_SIZE; u++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < taps; j++) {
        for (let i = 0; i < taps; i++) {
          const du = u + (i + 0.5) / taps - 0.5 - target[0];
          const dv = v + (j + 0.5) / taps - 0.5 - target[1];
          // Continuous source coordinates, then pixel-centre coordinates (pixel k has its centre at k + 0.5).
          const x = origin[0] + ar * du - ai * dv - 0.5;
          const y = origin[1] + ai * du + ar * dv - 0.5;
          sampleBilinear(data, width, height, x, y, rgb);
          r += rgb[0] as number;
          g += rgb[1] as number;
          b += rgb[2] as number;
        }
      }
      const n = taps * taps;
      const o = v * ALIGNED_SIZE + u;
      out[o] = (r / n - PIXEL_MEAN) / PIXEL_SCALE;
      out[plane + o] = (g / n - PIXEL_MEAN) / PIXEL_SCALE;
      out[2 * plane + o] = (b / n - PIXEL_MEAN) / PIXEL_SCALE;
    }
  }
  return out;
}

/**
 * The similarity transform from the 112×112 template to the image, as source = origin + a · (output - target)
 * with a = ar + i·ai in complex numbers: the one that sends the pair of template points onto the pair of face
 * points.
 */
function alignment(landmarks: Point[]): { origin: Point; target: Point; ar: number; ai: number } {
  const [rightEye, leftEye, , mouth] = landmarks;
  if (!rightEye || !leftEye) throw new Error("alignFace needs the two eye landmarks");
  let pair: [Point, Point, Point, Point] = [rightEye, leftEye, TEMPLATE_EYES[0], TEMPLATE_EYES[1]];
  if (mouth) {
    // A face turned far to one side (beyond about 60°) has its eyes nearly on top of each other, and the eyes
    // alone would blow an eyelash up to fill the crop. Its eye midpoint to mouth distance hardly changes with the
    // turn, so that vertical pair sets the scale and the roll instead.
    const eyeMid: Point = [(rightEye[0] + leftEye[0]) / 2, (rightEye[1] + leftEye[1]) / 2];
    const eyeDistance = Math.hypot(leftEye[0] - rightEye[0], leftEye[1] - rightEye[1]);
    const eyeToMouth = Math.hypot(mouth[0] - eyeMid[0], mouth[1] - eyeMid[1]);
    if (eyeDistance < PROFILE_EYE_RATIO * eyeToMouth)
      pair = [eyeMid, mouth, TEMPLATE_EYE_MID, TEMPLATE_MOUTH];
  }
  const [p0, p1, t0, t1] = pair;
  const sx = p1[0] - p0[0];
  const sy = p1[1] - p0[1];
  const tx = t1[0] - t0[0];
  const ty = t1[1] - t0[1];
  const t2 = tx * tx + ty * ty;
  return { origin: p0, target: t0, ar: (sx * tx + sy * ty) / t2, ai: (sy * tx - sx * ty) / t2 };
}

/** Bilinear RGB at pixel-centre coordinates (x, y); pixels outside the image are black. */
function sampleBilinear(
  data: Uint8Array,
  width: number,
  height: number,
  x: number,
  y: number,
  rgb: number[],
): void {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  rgb[0] = 0;
  rgb[1] = 0;
  rgb[2] = 0;
  for (let dy = 0; dy <= 1; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= height) continue;
    const wy = dy === 0 ? 1 - fy : fy;
    for (let dx = 0; dx <= 1; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= width) continue;
      const w = wy * (dx === 0 ? 1 - fx : fx);
      if (w === 0) continue;
      const k = (yy * width + xx) * 3;
      rgb[0] += w * (data[k] as number);
      rgb[1] += w * (data[k + 1] as number);
      rgb[2] += w * (data[k + 2] as number);
    }
  }
}

/** Computes 512-d, L2-normalised face embeddings with fr_feature.onnx on an inference pool. */
export class FaceEmbedder {
  readonly modelPath: string;

  constructor(private readonly pool: InferencePool) {
    this.modelPath = packageFile("faceplugin-face-recognition-js", "model/fr_feature.onnx");
  }

  /** One embedding per face, in order. Every face needs its eye landmarks (BlazeFace gives them; RFB-320 does not). */
  async embed(image: RgbImage, faces: Face[]): Promise<Float32Array[]> {
    return this.embedAligned(faces.map((face) => alignFace(image, face.landmarks)));
  }

  /** Embeddings of faces already aligned with `alignFace` (a caller may align now and embed later). */
  async embedAligned(aligned: Float32Array[]): Promise<Float32Array[]> {
    const inputs: TensorInput[] = aligned.map((data) => ({
      name: INPUT_NAME,
      data,
      dims: [1, 3, ALIGNED_SIZE, ALIGNED_SIZE],
    }));
    const outputs = await this.pool.run(this.modelPath, inputs);
    return outputs.map((output) => {
      const raw = output[OUTPUT_NAME];
      if (!raw || raw.length !== EMBEDDING_SIZE) {
        throw new Error(
          `fr_feature.onnx returned ${raw?.length ?? "no"} values instead of ${EMBEDDING_SIZE}`,
        );
      }
      return l2Normalise(raw);
    });
  }
}

function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  return norm > 0 ? vector.map((value) => value / norm) : vector.slice();
}

/** Cosine of the angle between two vectors of the same length (0 when either is all zeros). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`cosineSimilarity: lengths differ (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
