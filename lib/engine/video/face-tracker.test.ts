import { describe, expect, it } from "vitest";
import type { Face } from "../types";
import { FaceTracker, shotQuality } from "./face-tracker";

/** A frontal face: a box, a score, eyes level and the nose centred between them. */
function face(x: number, y: number, size = 100, score = 0.9): Face {
  return {
    box: { x, y, width: size, height: size },
    score,
    landmarks: [
      [x + size * 0.3, y + size * 0.4],
      [x + size * 0.7, y + size * 0.4],
      [x + size * 0.5, y + size * 0.6],
    ],
  };
}

/** A tracker at 2 samples a second whose shots record where and when they were taken. */
function tracker() {
  const shots: Array<{ x: number; time: number }> = [];
  const t = new FaceTracker(0.5, (f, quality, sample) => {
    shots.push({ x: f.box.x, time: sample.time });
    return { quality, x: f.box.x, time: sample.time };
  });
  return { t, shots };
}

const at = (index: number) => ({ index, time: index / 2 });

describe("the face tracker", () => {
  it("links a face moving across samples into one track, which ends after two samples unseen", () => {
    const { t } = tracker();
    for (let i = 0; i < 4; i++) expect(t.observe(at(i), [face(20 * i, 0)])).toEqual([]);
    expect(t.observe(at(4), [])).toEqual([]);
    expect(t.observe(at(5), [])).toEqual([]);
    const [ended, ...others] = t.observe(at(6), []);
    expect(others).toEqual([]);
    expect(ended).toMatchObject({ start: 0, end: 2, length: 4, lastSample: 3 });
    expect(t.endAll()).toEqual([]);
  });

  it("keeps a track through a gap of two samples", () => {
    const { t } = tracker();
    t.observe(at(0), [face(0, 0)]);
    t.observe(at(1), []);
    t.observe(at(2), []);
    t.observe(at(3), [face(10, 0)]);
    expect(t.endAll()).toMatchObject([{ start: 0, end: 2, length: 2 }]);
  });

  it("does not trust a face seen in one sample only", () => {
    const { t } = tracker();
    t.observe(at(0), [face(0, 0)]);
    expect(t.endAll()).toEqual([]);
  });

  it("ends every track at a scene cut: the same place after it is a new track", () => {
    const { t } = tracker();
    t.observe(at(0), [face(0, 0)]);
    t.observe(at(1), [face(0, 0)]);
    expect(t.endAll()).toMatchObject([{ start: 0, end: 1, length: 2 }]);
    t.observe(at(2), [face(0, 0)]);
    t.observe(at(3), [face(0, 0)]);
    expect(t.endAll()).toMatchObject([{ start: 1, end: 2, length: 2 }]);
  });

  it("keeps two faces that cross each other as two tracks, each face linked once", () => {
    const { t } = tracker();
    // A walks right, B walks left, a little lower: they overlap most in sample 2.
    for (let i = 0; i < 5; i++) t.observe(at(i), [face(40 * i, 0), face(160 - 40 * i, 20)]);
    const tracks = t.endAll();
    expect(tracks).toHaveLength(2);
    expect(tracks.map((track) => track.length)).toEqual([5, 5]);
    // Each ends on its own side: linking went by overlap with each track's last place, not by list order.
    expect(tracks.map((track) => track.last.box.x).sort((a, b) => a - b)).toEqual([0, 160]);
  });

  it("does not link faces that don't overlap enough, however close", () => {
    const { t } = tracker();
    t.observe(at(0), [face(0, 0)]);
    t.observe(at(1), [face(0, 0), face(70, 0)]);
    t.observe(at(2), [face(0, 0), face(70, 0)]);
    expect(t.endAll().map((track) => track.start)).toEqual([0, 0.5]);
  });

  it("keeps the best shot of each track, taking a shot only when the face is better than before", () => {
    const { t, shots } = tracker();
    t.observe(at(0), [face(0, 0, 100, 0.6)]);
    t.observe(at(1), [face(0, 0, 100, 0.95)]);
    t.observe(at(2), [face(0, 0, 100, 0.7)]);
    const [track] = t.endAll();
    expect(track?.best).toEqual({ quality: shotQuality(face(0, 0, 100, 0.95)), x: 0, time: 0.5 });
    expect(shots.map((shot) => shot.time)).toEqual([0, 0.5]);
  });

  it("ranks larger, surer, more frontal faces higher", () => {
    expect(shotQuality(face(0, 0, 200))).toBeGreaterThan(shotQuality(face(0, 0, 100)));
    expect(shotQuality(face(0, 0, 100, 0.9))).toBeGreaterThan(shotQuality(face(0, 0, 100, 0.6)));
    const turned = face(0, 0);
    turned.landmarks[2] = [80, 60];
    expect(shotQuality(face(0, 0))).toBeGreaterThan(shotQuality(turned));
  });
});
