import { describe, expect, it } from "vitest";
import { SAME_PERSON_SIMILARITY } from "../face-embedding";
import { mergeAppearances, PersonRegistry } from "./person-registry";

/** A unit embedding at `angle` radians from the first axis: the cosine similarity of two is cos(difference). */
function embedding(angle: number): Float32Array {
  return Float32Array.from([Math.cos(angle), Math.sin(angle), 0, 0]);
}
type Shot = { quality: number; label: string };
const ALICE = 0;
const BOB = Math.PI / 2;
/** Just inside and just outside the same-person threshold. */
const NEAR = Math.acos(SAME_PERSON_SIMILARITY) * 0.9;
const FAR = Math.acos(SAME_PERSON_SIMILARITY) * 1.1;

const track = (start: number, end: number, angle: number, quality = 1) => ({
  start,
  end,
  embedding: embedding(angle),
  shot: { quality, label: `${start}-${end}` },
});

describe("the person registry", () => {
  it("recognises a person who returns after a cut, keeping both appearances", () => {
    const registry = new PersonRegistry<Shot>();
    expect(registry.add(track(0, 2, ALICE))?.index).toBe(0);
    expect(registry.add(track(5, 7, ALICE + NEAR, 0.5))).toBeNull(); // same person, no better shot
    expect(registry.persons).toHaveLength(1);
    expect(registry.persons[0]?.appearances).toEqual([
      { start: 0, end: 2 },
      { start: 5, end: 7 },
    ]);
  });

  it("reports a returning person again when the new track has their best shot", () => {
    const registry = new PersonRegistry<Shot>();
    registry.add(track(0, 2, ALICE, 1));
    const again = registry.add(track(5, 7, ALICE, 3));
    expect(again?.index).toBe(0);
    expect(again?.best.label).toBe("5-7");
  });

  it("keeps two people apart when their faces differ", () => {
    const registry = new PersonRegistry<Shot>();
    registry.add(track(0, 2, ALICE));
    expect(registry.add(track(5, 7, ALICE + FAR))?.index).toBe(1);
    expect(registry.persons).toHaveLength(2);
  });

  it("never merges two tracks alive at the same moment, however alike (people who cross, twins)", () => {
    const registry = new PersonRegistry<Shot>();
    registry.add(track(0, 4, ALICE));
    expect(registry.add(track(3, 6, ALICE))?.index).toBe(1);
    // Back-to-back is not at the same moment: a track that starts as the other ends can be the same person.
    registry.add(track(6, 8, ALICE));
    expect(registry.persons.map((p) => p.appearances.length)).toEqual([2, 1]);
  });

  it("gives a returning face to the person it looks most like", () => {
    const registry = new PersonRegistry<Shot>();
    registry.add(track(0, 1, ALICE));
    registry.add(track(0, 1, BOB));
    registry.add(track(2, 3, BOB - NEAR / 2));
    expect(registry.persons.map((p) => p.appearances.length)).toEqual([1, 2]);
  });

  it("compares with every face a person has shown, not only the first", () => {
    const registry = new PersonRegistry<Shot>();
    registry.add(track(0, 1, ALICE));
    registry.add(track(2, 3, ALICE + NEAR)); // the same person, turned a little
    registry.add(track(4, 5, ALICE + 1.8 * NEAR)); // far from the first face, near the second
    expect(registry.persons).toHaveLength(1);
  });
});

describe("mergeAppearances", () => {
  it("sorts appearances and joins those that touch or overlap", () => {
    expect(
      mergeAppearances([
        { start: 5, end: 7 },
        { start: 0, end: 2 },
        { start: 2, end: 3 },
        { start: 6, end: 8 },
      ]),
    ).toEqual([
      { start: 0, end: 3 },
      { start: 5, end: 8 },
    ]);
  });
});
