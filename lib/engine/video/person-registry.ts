import { cosineSimilarity, SAME_PERSON_SIMILARITY } from "../face-embedding";

/**
 * The people seen so far in a video. Each finished track, with the face embedding of its best shot, either joins
 * the person it looks most like (someone who comes back after a cut, at another size) or becomes a new person.
 */

export interface Appearance {
  start: number;
  end: number;
}

/** A finished track as the registry sees it: when, who it looks like, and its best shot. */
export interface TrackedFace<Shot extends { quality: number }> {
  start: number;
  end: number;
  embedding: Float32Array;
  shot: Shot;
}

export interface Person<Shot extends { quality: number }> {
  index: number;
  embeddings: Float32Array[];
  best: Shot;
  appearances: Appearance[];
}

export class PersonRegistry<Shot extends { quality: number }> {
  readonly persons: Array<Person<Shot>> = [];

  /**
   * Adds a finished track to the person it is, or to a new person. Returns that person when what is shown of them
   * changed (they are new, or this track has their best shot so far), else null.
   */
  add(track: TrackedFace<Shot>): Person<Shot> | null {
    let owner: Person<Shot> | undefined;
    let bestSimilarity = SAME_PERSON_SIMILARITY;
    for (const person of this.persons) {
      // Two tracks alive at the same moment are two people, however alike (twins, a face and its reflection).
      if (person.appearances.some((a) => a.start < track.end && track.start < a.end)) continue;
      const similarity = Math.max(...person.embeddings.map((e) => cosineSimilarity(e, track.embedding)));
      if (similarity > bestSimilarity) {
        bestSimilarity = similarity;
        owner = person;
      }
    }
    const appearance = { start: track.start, end: track.end };
    if (!owner) {
      const person = {
        index: this.persons.length,
        embeddings: [track.embedding],
        best: track.shot,
        appearances: [appearance],
      };
      this.persons.push(person);
      return person;
    }
    owner.embeddings.push(track.embedding);
    owner.appearances.push(appearance);
    if (track.shot.quality <= owner.best.quality) return null;
    owner.best = track.shot;
    return owner;
  }
}

/** A person's appearances in time order, those that touch or overlap merged into one. */
export function mergeAppearances(appearances: Appearance[]): Appearance[] {
  const sorted = [...appearances].sort((a, b) => a.start - b.start);
  const merged: Appearance[] = [];
  for (const a of sorted) {
    const last = merged.at(-1);
    if (last && a.start <= last.end) last.end = Math.max(last.end, a.end);
    else merged.push({ ...a });
  }
  return merged;
}
