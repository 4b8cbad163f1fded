import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  audioOnlyFile,
  makeVideo,
  mjpegMov,
  playlistPointingAt,
  randomBytesFile,
  undatedWebm,
} from "../../../test/support/video-fixtures";
import { FaceEmbedder } from "../face-embedding";
import { createFaceEngine } from "../face-engine";
import { InferencePool } from "../inference/inference-pool";
import { DEFAULT_VIDEO_OPTIONS, detectVideo } from "./detect-video";

const engine = createFaceEngine();
const pool = new InferencePool({ workers: 1, threadsPerWorker: 1 });
const deps = { engine, embedder: new FaceEmbedder(pool) };
const options = { ...DEFAULT_VIDEO_OPTIONS, confidence: 0.5 };
afterAll(async () => {
  await engine.close();
  await pool.close();
});

describe("distinct people in a video", () => {
  let clip: string;
  beforeAll(() => {
    // sample1 (3 people; the pan shows 2 of them), a cut to sample4 (4 people, zooming in), and a cut back to
    // sample1 filmed from further away: 3 + 4 = 7 people, two of them seen again after a cut at another size.
    clip = makeVideo([
      { photo: 1, seconds: 3, move: "pan" },
      { photo: 4, seconds: 3, move: "zoom" },
      { photo: 1, seconds: 2, move: "far" },
    ]);
  });

  it("counts each person once across cuts, pans, zooms and a change of scale", async () => {
    const progress: number[] = [];
    const reported: number[] = [];
    const result = await detectVideo(clip, deps, {
      ...options,
      onProgress: (f) => progress.push(f),
      onPerson: (p) => {
        reported.push(p.index);
      },
    });
    expect(result).toMatchObject({ width: 1280, height: 720, duration: 8, fps: 10 });
    expect(result.persons).toHaveLength(7);
    // The two people of the first shot are recognised when they come back in the last one.
    const returning = result.persons.filter((p) => p.appearances.length === 2);
    expect(returning).toHaveLength(2);
    for (const person of returning) {
      expect(person.appearances[0]?.start).toBeLessThan(3);
      expect(person.appearances[1]?.start).toBeGreaterThanOrEqual(5.9);
    }
    // Names follow Magic Hour's <frame>-<index>: a frame number of the source video, at its best shot's time.
    for (const person of result.persons) {
      expect(person.frame).toBe(Math.round(person.time * 10));
      expect(person.crop.subarray(1, 4).toString()).toBe("PNG");
      expect(person.box.width).toBeGreaterThan(40);
    }
    // People were reported while the video was still being read, and progress moved forward to the end.
    expect(new Set(reported).size).toBe(7);
    expect(progress.at(-1)).toBeGreaterThan(0.9);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it("finds the people of a single zooming shot", async () => {
    const zoom = makeVideo([{ photo: 6, seconds: 3, move: "zoom" }]);
    expect((await detectVideo(zoom, deps, options)).persons).toHaveLength(4);
  });
});

describe("videos it can't use", () => {
  it("refuses random bytes as a damaged file", async () => {
    await expect(detectVideo(randomBytesFile(), deps, options)).rejects.toMatchObject({ code: "corrupt" });
  });

  it("refuses a sound-only file", async () => {
    await expect(detectVideo(audioOnlyFile(), deps, options)).rejects.toMatchObject({ code: "no_video" });
  });

  it("refuses a video over the length limit before reading its frames", async () => {
    const clip = makeVideo([{ photo: 2, seconds: 3, move: "far" }]);
    await expect(detectVideo(clip, deps, { ...options, maxDurationSeconds: 2 })).rejects.toMatchObject({
      code: "too_long",
      message: expect.stringMatching(/limit/),
    });
  });

  it("stops a video whose header gives no duration once decoding passes the limit, reporting progress", async () => {
    const file = undatedWebm();
    const progress: number[] = [];
    await expect(
      detectVideo(file, deps, { ...options, maxDurationSeconds: 30, onProgress: (f) => progress.push(f) }),
    ).rejects.toMatchObject({
      code: "too_long",
      message: expect.stringMatching(/longer than the limit of 30 s/),
    });
    // Progress is media time over the limit when there is no duration: it moved, instead of staying at 0.
    expect(progress.at(-1)).toBeGreaterThan(0.9);
  });

  it("refuses frames above the pixel cap, like a photo's", async () => {
    await expect(
      detectVideo(mjpegMov(1600, 1200), deps, { ...options, maxPixels: 1_000_000 }),
    ).rejects.toMatchObject({
      code: "too_large",
      message: expect.stringMatching(/1600x1200.*limit is 1 megapixels/),
    });
  });

  it("stops at the wall-clock limit", async () => {
    await expect(
      detectVideo(undatedWebm(60), deps, { ...options, maxProcessingSeconds: 0.001 }),
    ).rejects.toMatchObject({ code: "too_slow" });
  });

  it("reads only the file it is given: a playlist in place of a video is refused", async () => {
    const secret = makeVideo([{ photo: 1, seconds: 1, move: "far" }]);
    await expect(detectVideo(playlistPointingAt(secret), deps, options)).rejects.toMatchObject({
      code: "corrupt",
    });
  });
});
