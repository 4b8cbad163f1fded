import { describe, expect, it } from "vitest";
import { mergeAcrossPasses } from "./merge";
import type { Face } from "./types";

const face = (x: number, y: number, side: number, score: number): Face => ({
  box: { x, y, width: side, height: side },
  score,
  landmarks: [],
});

describe("mergeAcrossPasses", () => {
  it("averages boxes of one face seen by two passes and keeps the best score", () => {
    const merged = mergeAcrossPasses([face(100, 100, 50, 0.9), face(104, 102, 50, 0.6)]);
    expect(merged).toHaveLength(1);
    expect(merged[0]?.score).toBe(0.9);
    expect(merged[0]?.box.x).toBeGreaterThan(100);
    expect(merged[0]?.box.x).toBeLessThan(104);
  });

  it("drops a partial box inside a whole one (a face cut by a tile edge)", () => {
    const merged = mergeAcrossPasses([
      face(100, 100, 60, 0.9),
      { ...face(100, 100, 60, 0.7), box: { x: 130, y: 100, width: 30, height: 60 } },
    ]);
    expect(merged).toHaveLength(1);
  });

  it("keeps neighbouring faces in a crowd apart", () => {
    expect(mergeAcrossPasses([face(0, 0, 40, 0.9), face(38, 0, 40, 0.9), face(76, 0, 40, 0.9)])).toHaveLength(
      3,
    );
  });

  it("keeps a small face inside a much larger false box", () => {
    expect(mergeAcrossPasses([face(0, 0, 400, 0.6), face(100, 100, 40, 0.9)])).toHaveLength(2);
  });
});
