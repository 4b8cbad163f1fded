import { inBatches } from "./batches";
import { cropPng, cropSquare, previewJpeg } from "./crops";
import { detectFaces } from "./detect-faces";
import { fuseSmallFaces, type SmallFaceFusion, windowsNearSmallFaces } from "./fusion";
import { decodeImage } from "./image/decode-image";
import { InferencePool } from "./inference/inference-pool";
import { type DetectorName, detectorModel } from "./models";
import { mediaPipeFullRange } from "./models/mediapipe-full-range";
import type { Face, FaceWithCrop, RgbImage } from "./types";

export interface FaceEngineOptions {
  detector: DetectorName;
  /** Tiled pyramid passes for small faces; off means one whole-image pass. */
  tiled: boolean;
  /** A second, centred look at uncertain candidates, to reject look-alikes and reframe small faces. */
  verify: boolean;
  workers: number;
  threadsPerWorker: number;
  /** Images above this many pixels are refused before their pixels are decoded. */
  maxPixels: number;
  /** Candidates down to this score are kept so that a caller can re-filter without re-running detection. */
  candidateFloor: number;
  /**
   * Photos (not video frames) are also searched for faces under ~40 px by MediaPipe's full-range detector on fine
   * tiles, fused with the main detector's faces (see fusion.ts); null switches it off.
   */
  smallFaces: SmallFaceFusion | null;
}

export const DEFAULT_ENGINE_OPTIONS: FaceEngineOptions = {
  detector: "blazeface",
  tiled: true,
  verify: true,
  // Two single-threaded workers beat one with two threads on 2 cores (bench: 114 vs 150 ms p50 at 1920×1280):
  // BlazeFace's small convolutions parallelise better across windows than within one.
  workers: 2,
  threadsPerWorker: 1,
  maxPixels: 50_000_000,
  candidateFloor: 0.3,
  smallFaces: { maxSide: 40, from: 0.3, weight: 0.5, hintSide: 45, margin: 150, maxWindows: 24 },
};

/** Default confidence threshold, as in Magic Hour's API. */
export const DEFAULT_CONFIDENCE = 0.5;

export interface ImageDetection {
  width: number;
  height: number;
  format: string;
  /** Every candidate at or above the engine's floor, left to right. Filter with `aboveConfidence`. */
  faces: FaceWithCrop[];
  /** The upright picture as a JPEG any browser shows (HEIC, JPEG 2000, TIFF, BMP included), if asked for. */
  preview?: Buffer;
}

export interface DetectImageOptions {
  crops?: boolean;
  preview?: boolean;
  /** Aborting stops submitting inference work and rejects with the signal's reason (e.g. a time budget). */
  signal?: AbortSignal;
}

export interface DetectPixelsOptions {
  signal?: AbortSignal;
  /**
   * Also look at a picture under 1920 px at a finer level (its longer side 768 px), for faces of 12–20 px: on by
   * default for photos (detectImage), off for video frames, where a person is seen in many frames and the speed
   * matters more.
   */
  detail?: boolean;
}

export interface FaceEngine {
  readonly options: FaceEngineOptions;
  /** Decode an uploaded image (any supported format, EXIF orientation applied), find faces, cut crops. */
  detectImage(bytes: Buffer, options?: DetectImageOptions): Promise<ImageDetection>;
  /** Find faces in pixels that are already decoded and upright. Aborting `signal` stops the work and rejects. */
  detectPixels(image: RgbImage, options?: DetectPixelsOptions): Promise<Face[]>;
  close(): Promise<void>;
}

export function aboveConfidence<T extends Face>(faces: readonly T[], confidence: number): T[] {
  return faces.filter((face) => face.score >= confidence);
}

export function createFaceEngine(overrides: Partial<FaceEngineOptions> = {}): FaceEngine {
  const options = { ...DEFAULT_ENGINE_OPTIONS, ...overrides };
  const model = detectorModel(options.detector);
  const pool = new InferencePool({ workers: options.workers, threadsPerWorker: options.threadsPerWorker });
  // The small-face pass joins another detector; MediaPipe full-range as the main detector has nothing to add to itself.
  const smallFaceModel =
    options.smallFaces && options.detector !== "mediapipe-full-range" ? mediaPipeFullRange() : null;
  const find = (image: RgbImage, signal: AbortSignal | undefined, detail: boolean) =>
    detectFaces(image, model, pool, {
      tiled: options.tiled,
      verify: options.verify,
      minScore: options.candidateFloor,
      detail,
      signal,
    });
  const detectPixels = async (image: RgbImage, { signal, detail = false }: DetectPixelsOptions = {}) => {
    const fusion = options.smallFaces;
    if (!detail || !fusion || !smallFaceModel || !options.tiled) return find(image, signal, detail);
    // The small-face detector looks where the main detector's faces say a crowd is (see fusion.ts), so it runs after.
    const main = await find(image, signal, detail);
    const small = await detectFaces(image, smallFaceModel, pool, {
      tiled: true,
      finestOnly: true,
      selectWindows: (windows) => windowsNearSmallFaces(windows, main, fusion),
      verify: false,
      minScore: Math.max(options.candidateFloor, fusion.from),
      detail: true,
      signal,
    });
    return fuseSmallFaces(main, small, fusion)
      .filter((face) => face.score >= options.candidateFloor)
      .sort((a, b) => a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2));
  };

  return {
    options,
    detectPixels,
    async detectImage(bytes, { crops = true, preview = false, signal } = {}) {
      const image = await decodeImage(bytes, { maxPixels: options.maxPixels });
      const faces = await detectPixels(image, { signal, detail: true });
      // Crops a few at a time: a photo may hold hundreds of candidates.
      const withCrops = await inBatches(
        faces,
        (batch) =>
          Promise.all(
            batch.map(async (face): Promise<FaceWithCrop> => {
              const cropBox = cropSquare(face.box, image.width, image.height);
              return { ...face, cropBox, crop: crops ? await cropPng(image, cropBox) : Buffer.alloc(0) };
            }),
          ),
        signal ?? new AbortController().signal,
      );
      return {
        width: image.width,
        height: image.height,
        format: image.format,
        faces: withCrops,
        ...(preview ? { preview: await previewJpeg(image) } : {}),
      };
    },
    close: () => pool.close(),
  };
}
