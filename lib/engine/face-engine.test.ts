import { readFileSync } from "node:fs";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import labels from "../../eval/labels.json";
import { aboveConfidence, createFaceEngine, DEFAULT_CONFIDENCE } from "./face-engine";
import { iou } from "./geometry";
import { packageFile } from "./models/package-file";
import type { Box, Point } from "./types";

const engine = createFaceEngine();
afterAll(() => engine.close());

const photo = (name: string) => readFileSync(packageFile("@vladmandic/face-api", `demo/${name}`));
const labelled = (name: keyof typeof labels.images): Box[] =>
  labels.images[name].faces.map(([x = 0, y = 0, width = 0, height = 0]) => ({ x, y, width, height }));

describe("face engine on the face-api demo photos", () => {
  it.each(Object.keys(labels.images) as Array<keyof typeof labels.images>)(
    "finds every face in %s",
    async (name) => {
      const result = await engine.detectImage(photo(name));
      const faces = aboveConfidence(result.faces, DEFAULT_CONFIDENCE);
      const expected = labelled(name);
      expect(faces).toHaveLength(expected.length);
      for (const label of expected) {
        expect(Math.max(...faces.map((f) => iou(f.box, label)))).toBeGreaterThan(0.5);
      }
      // Left to right, as Magic Hour numbers its crops.
      const centres = faces.map((f) => f.box.x + f.box.width / 2);
      expect(centres).toEqual([...centres].sort((a, b) => a - b));
    },
  );

  it("reports six landmarks per face with the eyes above the mouth", async () => {
    const { faces } = await engine.detectImage(photo("sample6.jpg"));
    for (const face of aboveConfidence(faces, DEFAULT_CONFIDENCE)) {
      expect(face.landmarks).toHaveLength(6);
      const [rightEye, leftEye, , mouth] = face.landmarks as [Point, Point, Point, Point];
      expect(mouth[1]).toBeGreaterThan(Math.max(rightEye[1], leftEye[1]));
      for (const [x, y] of face.landmarks) {
        expect(x).toBeGreaterThan(face.box.x - face.box.width * 0.5);
        expect(x).toBeLessThan(face.box.x + face.box.width * 1.5);
        expect(y).toBeGreaterThan(face.box.y - face.box.height * 0.5);
        expect(y).toBeLessThan(face.box.y + face.box.height * 1.5);
      }
    }
  });

  it("cuts a square PNG crop around each face", async () => {
    const { faces, width, height } = await engine.detectImage(photo("sample1.jpg"));
    for (const face of aboveConfidence(faces, DEFAULT_CONFIDENCE)) {
      const meta = await sharp(face.crop).metadata();
      expect(meta.format).toBe("png");
      expect(meta.width).toBe(meta.height);
      const { cropBox, box } = face;
      expect(cropBox.x).toBeGreaterThanOrEqual(0);
      expect(cropBox.y).toBeGreaterThanOrEqual(0);
      expect(cropBox.x + cropBox.width).toBeLessThanOrEqual(width);
      expect(cropBox.y + cropBox.height).toBeLessThanOrEqual(height);
      expect(cropBox.width).toBeGreaterThan(box.width);
    }
  });

  it("keeps low-scoring candidates for re-filtering, all at or above the floor", async () => {
    const { faces } = await engine.detectImage(photo("sample2.jpg"));
    expect(faces.every((f) => f.score >= engine.options.candidateFloor && f.score <= 1)).toBe(true);
    expect(aboveConfidence(faces, 0.99)).toHaveLength(0);
    expect(aboveConfidence(faces, 0).length).toBe(faces.length);
  });

  it("reports boxes in the upright frame of an EXIF-rotated photo", async () => {
    const rotated = await sharp(photo("sample3.jpg"))
      .rotate(270)
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const upright = await engine.detectImage(photo("sample3.jpg"));
    const result = await engine.detectImage(rotated);
    expect([result.width, result.height]).toEqual([upright.width, upright.height]);
    const faces = aboveConfidence(result.faces, DEFAULT_CONFIDENCE);
    expect(faces).toHaveLength(3);
    for (const label of labelled("sample3.jpg")) {
      expect(Math.max(...faces.map((f) => iou(f.box, label)))).toBeGreaterThan(0.5);
    }
  });

  it("finds a 40-px face in a 3000×2000 picture, where a single pass can't", async () => {
    const name = "sample4.jpg";
    const [first] = labelled(name);
    if (!first) throw new Error("sample4.jpg has labelled faces");
    const scale = 40 / first.width;
    const small = await sharp(photo(name))
      .resize(Math.round(1920 * scale))
      .toBuffer();
    const bytes = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: "#777" } })
      .composite([{ input: small, left: 2100, top: 1500 }])
      .jpeg()
      .toBuffer();
    const expected = labelled(name).map((f) => ({
      x: f.x * scale + 2100,
      y: f.y * scale + 1500,
      width: f.width * scale,
      height: f.height * scale,
    }));
    const faces = aboveConfidence((await engine.detectImage(bytes)).faces, DEFAULT_CONFIDENCE);
    expect(faces).toHaveLength(expected.length);
    for (const label of expected)
      expect(Math.max(...faces.map((f) => iou(f.box, label)))).toBeGreaterThan(0.4);

    const single = createFaceEngine({ tiled: false });
    const seen = aboveConfidence(
      (await single.detectImage(bytes, { crops: false })).faces,
      DEFAULT_CONFIDENCE,
    );
    await single.close();
    expect(seen.length).toBeLessThan(expected.length);
  });

  it("finds no face in a face-free part of a photo", async () => {
    const below = await sharp(photo("sample6.jpg"))
      .extract({ left: 0, top: 900, width: 1920, height: 637 })
      .toBuffer();
    expect(aboveConfidence((await engine.detectImage(below)).faces, DEFAULT_CONFIDENCE)).toHaveLength(0);
  });

  it("refuses bytes that are not an image, and keeps working", async () => {
    await expect(engine.detectImage(Buffer.from("not an image at all"))).rejects.toThrow(/format/i);
    expect((await engine.detectImage(photo("sample5.jpg"))).faces.length).toBeGreaterThanOrEqual(5);
  });
});

describe("face engine limits", () => {
  it("refuses a picture more than 20 times longer than wide, with a reason", async () => {
    const thin = await sharp({ create: { width: 4200, height: 200, channels: 3, background: "#777" } })
      .png()
      .toBuffer();
    await expect(engine.detectImage(thin)).rejects.toThrow(/4200 × 200 pixels.*not supported/);
  });

  it("stops and rejects when its signal aborts", async () => {
    const controller = new AbortController();
    controller.abort(new Error("time budget spent"));
    await expect(engine.detectImage(photo("sample1.jpg"), { signal: controller.signal })).rejects.toThrow(
      "time budget spent",
    );
  });
});
