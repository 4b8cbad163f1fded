import { describe, expect, it } from "vitest";
import { planLevels, windowStarts } from "./tiling";

const blazeFace = { inputWidth: 256, inputHeight: 256, fineWindow: 640 };

describe("windowStarts", () => {
  it("covers the whole length with overlapping windows", () => {
    for (const length of [257, 500, 768, 1000, 1600]) {
      const starts = windowStarts(length, 256);
      expect(starts[0]).toBe(0);
      expect((starts.at(-1) as number) + 256).toBe(length);
      for (let i = 1; i < starts.length; i++) {
        const overlap = (starts[i - 1] as number) + 256 - (starts[i] as number);
        expect(overlap).toBeGreaterThanOrEqual(Math.floor(256 * 0.3));
      }
    }
  });

  it("uses one window when the image fits", () => {
    expect(windowStarts(200, 256)).toEqual([0]);
  });
});

describe("planLevels", () => {
  it("is one letterboxed pass when tiling is off", () => {
    const levels = planLevels({
      imageWidth: 1920,
      imageHeight: 1280,
      ...blazeFace,
      tiled: false,
      detail: true,
    });
    expect(levels).toHaveLength(1);
    expect(levels[0]?.width).toBe(256);
    expect(levels[0]?.height).toBe(171);
  });

  it("looks at a small photo at full size, in a few windows", () => {
    const levels = planLevels({ imageWidth: 640, imageHeight: 480, ...blazeFace, tiled: true, detail: true });
    expect(levels.map((l) => l.windows.length)).toEqual([1, 12]);
    expect(levels[1]?.scaleX).toBe(1);
  });

  it("shows a 1024-px photo's finest level 768 px long, whatever the photo's size", () => {
    const wider = planLevels({ imageWidth: 1024, imageHeight: 683, ...blazeFace, tiled: true, detail: true });
    expect(wider[1]?.width).toBe(768);
    expect(wider.map((l) => l.windows.length)).toEqual([1, 12]);
  });

  it("keeps the finest level of any photo within 40 windows", () => {
    for (const [imageWidth, imageHeight] of [
      [3000, 2000],
      [4000, 3000],
      [6000, 4000],
      [7071, 7071],
    ] as const) {
      const levels = planLevels({ imageWidth, imageHeight, ...blazeFace, tiled: true, detail: true });
      expect(levels[1]?.windows.length).toBeLessThanOrEqual(40);
    }
  });

  it("leaves the detail level out for video frames", () => {
    const frame = planLevels({
      imageWidth: 1280,
      imageHeight: 720,
      ...blazeFace,
      tiled: true,
      detail: false,
    });
    expect(frame.map((l) => l.windows.length)).toEqual([1, 6]);
    expect(frame[1]?.scaleX).toBeCloseTo(0.4, 2);
  });

  it("never plans a level of zero pixels, however thin the picture", () => {
    for (const level of planLevels({
      imageWidth: 1_000_000,
      imageHeight: 50,
      ...blazeFace,
      tiled: true,
      detail: true,
    })) {
      expect(level.width).toBeGreaterThanOrEqual(1);
      expect(level.height).toBeGreaterThanOrEqual(1);
    }
  });

  it("tiles a 1920×1280 photo at 0.4× and a 4000×3000 one a little coarser, within the window budget", () => {
    const hd = planLevels({ imageWidth: 1920, imageHeight: 1280, ...blazeFace, tiled: true, detail: true });
    expect(hd.map((l) => l.windows.length)).toEqual([1, 12]);
    expect(hd[1]?.scaleX).toBeCloseTo(0.4, 2);
    const large = planLevels({
      imageWidth: 4000,
      imageHeight: 3000,
      ...blazeFace,
      tiled: true,
      detail: true,
    });
    expect(large.map((l) => Number(l.scaleX.toFixed(2)))).toEqual([0.06, 0.31]);
  });

  it("marks only inner window edges as cuts", () => {
    const [, fine] = planLevels({
      imageWidth: 1920,
      imageHeight: 1280,
      ...blazeFace,
      tiled: true,
      detail: true,
    });
    const first = fine?.windows[0];
    const last = fine?.windows.at(-1);
    expect(first).toMatchObject({ cutLeft: false, cutTop: false, cutRight: true, cutBottom: true });
    expect(last).toMatchObject({ cutLeft: true, cutTop: true, cutRight: false, cutBottom: false });
  });
});
