import { readFileSync } from "node:fs";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import {
  ALIGNED_SIZE,
  alignFace,
  cosineSimilarity,
  EMBEDDING_SIZE,
  FaceEmbedder,
  SAME_PERSON_SIMILARITY,
  TEMPLATE_EYES,
} from "./face-embedding";
import { aboveConfidence, createFaceEngine, DEFAULT_CONFIDENCE } from "./face-engine";
import { decodeImage } from "./image/decode-image";
import { InferencePool } from "./inference/inference-pool";
import { packageFile } from "./models/package-file";
import type { Point, RgbImage } from "./types";

const PLANE = ALIGNED_SIZE * ALIGNED_SIZE;
const BLACK = -127 / 128;

function blankImage(width: number, height: number, value = 0): RgbImage {
  return { data: new Uint8Array(width * height * 3).fill(value), width, height };
}

/** A 5×5 dot of one colour centred on pixel (x, y), whose centre is the continuous point (x + 0.5, y + 0.5). */
function dot(image: RgbImage, x: number, y: number, rgb: [number, number, number]): Point {
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const k = ((y + dy) * image.width + x + dx) * 3;
      image.data.set(rgb, k);
    }
  }
  return [x + 0.5, y + 0.5];
}

/** Brightness-weighted centre of one plane of an aligned face, in output pixel coordinates. */
function centroid(tensor: Float32Array, channel: number): Point {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let v = 0; v < ALIGNED_SIZE; v++) {
    for (let u = 0; u < ALIGNED_SIZE; u++) {
      const w = (tensor[channel * PLANE + v * ALIGNED_SIZE + u] as number) - BLACK;
      sum += w;
      sx += w * u;
      sy += w * v;
    }
  }
  return [sx / sum, sy / sum];
}

describe("cosineSimilarity", () => {
  it("is 1 for parallel vectors, -1 for opposite ones and 0 for orthogonal ones", () => {
    const a = Float32Array.of(1, 2, 3);
    expect(cosineSimilarity(a, a)).toBeCloseTo(1, 6);
    expect(cosineSimilarity(a, Float32Array.of(2, 4, 6))).toBeCloseTo(1, 6);
    expect(cosineSimilarity(a, Float32Array.of(-1, -2, -3))).toBeCloseTo(-1, 6);
    expect(cosineSimilarity(Float32Array.of(1, 0), Float32Array.of(0, 5))).toBe(0);
    expect(cosineSimilarity(Float32Array.of(1, 1), Float32Array.of(1, 0))).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it("is 0 against a zero vector and refuses vectors of different lengths", () => {
    expect(cosineSimilarity(Float32Array.of(0, 0), Float32Array.of(1, 2))).toBe(0);
    expect(() => cosineSimilarity(Float32Array.of(1), Float32Array.of(1, 2))).toThrow(/lengths differ/);
  });
});

describe("alignFace", () => {
  it("puts the subject's right eye on the template's left eye and the left eye on its right eye", () => {
    // A tilted, larger-than-template face: a red dot for the subject's right eye, a blue one for the left eye.
    const image = blankImage(400, 300);
    const rightEye = dot(image, 150, 120, [255, 0, 0]);
    const leftEye = dot(image, 230, 160, [0, 0, 255]);
    const tensor = alignFace(image, [rightEye, leftEye]);

    expect(tensor).toHaveLength(3 * PLANE);
    const [red, blue] = [centroid(tensor, 0), centroid(tensor, 2)];
    const [left, right] = TEMPLATE_EYES;
    expect(red[0]).toBeCloseTo(left[0], 1);
    expect(red[1]).toBeCloseTo(left[1], 1);
    expect(blue[0]).toBeCloseTo(right[0], 1);
    expect(blue[1]).toBeCloseTo(right[1], 1);
    // Planes are R, G, B: nothing green was drawn, so the G plane is all black.
    expect(tensor.subarray(PLANE, 2 * PLANE).every((value) => value === BLACK)).toBe(true);
  });

  it("turns an upside-down face upright and enlarges a small one", () => {
    const image = blankImage(120, 100);
    // Eyes 10 px apart, the subject's right eye on the image's right: rotated by 180°.
    const rightEye = dot(image, 70, 50, [255, 0, 0]);
    const leftEye = dot(image, 60, 50, [0, 0, 255]);
    const tensor = alignFace(image, [rightEye, leftEye]);
    const [red, blue] = [centroid(tensor, 0), centroid(tensor, 2)];
    expect(red[0]).toBeCloseTo(TEMPLATE_EYES[0][0], 1);
    expect(red[1]).toBeCloseTo(TEMPLATE_EYES[0][1], 1);
    expect(blue[0]).toBeCloseTo(TEMPLATE_EYES[1][0], 1);
    expect(blue[1]).toBeCloseTo(TEMPLATE_EYES[1][1], 1);
  });

  it("aligns a face seen side-on by its eye midpoint and mouth", () => {
    const image = blankImage(300, 300);
    // Eyes 6 px apart (a profile) and the mouth 90 px below them.
    const eyeMid = dot(image, 100, 100, [255, 0, 0]);
    const mouth = dot(image, 100, 190, [0, 0, 255]);
    const tensor = alignFace(image, [
      [eyeMid[0] - 3, eyeMid[1]],
      [eyeMid[0] + 3, eyeMid[1]],
      [eyeMid[0] - 10, 150],
      mouth,
    ]);
    const [red, blue] = [centroid(tensor, 0), centroid(tensor, 2)];
    // Template eye midpoint (55.9, 51.6) and mouth centre (56.1, 92.3).
    expect(red[0]).toBeCloseTo(55.9, 1);
    expect(red[1]).toBeCloseTo(51.6, 1);
    expect(blue[0]).toBeCloseTo(56.1, 1);
    expect(blue[1]).toBeCloseTo(92.3, 1);
  });

  it("normalises pixels to (value - 127) / 128 and fills outside the image with black", () => {
    // A crop that lies inside the image: every output pixel is that one grey.
    const eyes: Point[] = [
      [140, 150],
      [180, 150],
    ];
    const maxError = (tensor: Float32Array, expected: number) =>
      Math.max(...tensor.map((value) => Math.abs(value - expected)));
    expect(maxError(alignFace(blankImage(300, 300, 127), eyes), 0)).toBeLessThan(1e-6);
    expect(maxError(alignFace(blankImage(300, 300, 255), eyes), 1)).toBeLessThan(1e-6);
    expect(maxError(alignFace(blankImage(300, 300, 0), eyes), BLACK)).toBeLessThan(1e-6);
    // Eyes at the image's top-left corner: the top and left of the crop lie outside it.
    const corner = alignFace(blankImage(120, 120, 255), [
      [2, 2],
      [40, 2],
    ]);
    expect(corner[0]).toBe(BLACK);
    expect(corner[PLANE - 1]).toBeCloseTo(1, 6);
  });

  it("refuses a face without eye landmarks", () => {
    expect(() => alignFace(blankImage(10, 10), [])).toThrow(/eye landmarks/);
  });
});

describe("FaceEmbedder on the face-api demo photos", () => {
  const engine = createFaceEngine();
  const pool = new InferencePool({ workers: 2, threadsPerWorker: 1 });
  const embedder = new FaceEmbedder(pool);
  afterAll(async () => {
    await engine.close();
    await pool.close();
  });

  const photo = (name: string) => readFileSync(packageFile("@vladmandic/face-api", `demo/${name}`));

  /** Embeddings of the faces in a photo (optionally resized to `width`), left to right. */
  async function embeddings(name: string, width?: number): Promise<Float32Array[]> {
    const bytes = width ? await sharp(photo(name)).resize({ width }).toBuffer() : photo(name);
    const image = await decodeImage(bytes);
    const faces = aboveConfidence(await engine.detectPixels(image), DEFAULT_CONFIDENCE);
    faces.sort((a, b) => a.box.x - b.box.x);
    return embedder.embed(image, faces);
  }

  it("returns one unit-length 512-d embedding per face", async () => {
    const result = await embeddings("sample6.jpg");
    expect(result).toHaveLength(4);
    for (const embedding of result) {
      expect(embedding).toHaveLength(EMBEDDING_SIZE);
      expect(Math.hypot(...embedding)).toBeCloseTo(1, 5);
    }
    expect(await embedder.embed(blankImage(1, 1), [])).toEqual([]);
  });

  // Pairs chosen from scripts/measure-embedding-threshold.ts: sample6's four people are 0.93-0.95 similar to
  // themselves at 0.25× and 0.4× and at most 0.38 to each other; sample3 and sample6 have no pair above 0.35.
  it("finds the same people in a photo and at a quarter and 0.4× of its size", async () => {
    const original = await embeddings("sample6.jpg");
    for (const width of [480, 768]) {
      const smaller = await embeddings("sample6.jpg", width);
      expect(smaller).toHaveLength(original.length);
      original.forEach((embedding, i) => {
        expect(cosineSimilarity(embedding, smaller[i] as Float32Array)).toBeGreaterThan(
          SAME_PERSON_SIMILARITY,
        );
        smaller.forEach((other, j) => {
          if (j !== i) expect(cosineSimilarity(embedding, other)).toBeLessThan(SAME_PERSON_SIMILARITY);
        });
      });
    }
  });

  it("tells different people from different photos apart", async () => {
    const sample3 = await embeddings("sample3.jpg");
    const sample6 = await embeddings("sample6.jpg");
    expect(sample3).toHaveLength(3);
    for (const a of sample3) {
      for (const b of sample6) expect(cosineSimilarity(a, b)).toBeLessThan(SAME_PERSON_SIMILARITY);
    }
  });

  it("refuses faces without landmarks", async () => {
    const face = { box: { x: 0, y: 0, width: 10, height: 10 }, score: 1, landmarks: [] };
    await expect(embedder.embed(blankImage(10, 10), [face])).rejects.toThrow(/eye landmarks/);
  });
});
