import { describe, expect, it } from "vitest";
import { fuseSmallFaces, type SmallFaceFusion, windowsNearSmallFaces } from "./fusion";
import type { Face } from "./types";

const face = (x: number, y: number, side: number, score: number): Face => ({
  box: { x, y, width: side, height: side },
  score,
  landmarks: [],
});

const fusion: SmallFaceFusion = {
  maxSide: 40,
  from: 0.3,
  weight: 0.5,
  hintSide: 45,
  margin: 100,
  maxWindows: 2,
};

describe("fuseSmallFaces", () => {
  it("keeps the main detector's face where both see one, and lifts its score towards the other's", () => {
    const fused = fuseSmallFaces([face(100, 100, 30, 0.4)], [face(102, 101, 30, 0.8)], fusion);
    expect(fused).toHaveLength(1);
    expect(fused[0]?.box.x).toBe(100);
    expect(fused[0]?.score).toBeCloseTo(0.6);
  });

  it("never lowers the main detector's score", () => {
    const fused = fuseSmallFaces([face(100, 100, 30, 0.9)], [face(100, 100, 30, 0.5)], fusion);
    expect(fused[0]?.score).toBe(0.9);
  });

  it("adds a small face only the small-face detector sees, its score taken down", () => {
    const fused = fuseSmallFaces([face(100, 100, 30, 0.9)], [face(300, 100, 14, 0.7)], fusion);
    expect(fused).toHaveLength(2);
    expect(fused[1]?.score).toBeCloseTo(0.5);
  });

  it("drops a large face only the small-face detector sees (BlazeFace would have seen it)", () => {
    expect(fuseSmallFaces([], [face(300, 100, 80, 0.95)], fusion)).toHaveLength(0);
  });
});

describe("windowsNearSmallFaces", () => {
  const windows = [0, 200, 400, 600].map((x) => ({ x, y: 0, width: 200, height: 200 }));

  it("picks the windows near small faces, the most crowded first, in plan order", () => {
    const main = [face(210, 50, 20, 0.9), face(250, 50, 20, 0.9), face(650, 50, 20, 0.9)];
    expect(windowsNearSmallFaces(windows, main, { ...fusion, margin: 0 })).toEqual([1, 3]);
    expect(windowsNearSmallFaces(windows, main, { ...fusion, margin: 0, maxWindows: 1 })).toEqual([1]);
  });

  it("picks none when the main detector found only large faces or none", () => {
    expect(windowsNearSmallFaces(windows, [face(200, 0, 150, 0.9)], fusion)).toEqual([]);
    expect(windowsNearSmallFaces(windows, [], fusion)).toEqual([]);
  });
});
