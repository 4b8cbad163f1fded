import { iou } from "../geometry";
import type { Face } from "../types";

/**
 * Links the faces of consecutive analysed samples into tracks: the same face a moment later overlaps where it was.
 * Overlap means nothing across a scene cut, so a cut ends every track. Who a track is, is not decided here: ended
 * tracks go to the person registry, which compares faces.
 */

/** Overlap (IoU) above which a face continues a track. */
const LINK_IOU = 0.3;
/** A track not seen for this many analysed samples has ended. */
const MAX_GAP = 2;
/** Tracks shorter than this are not trusted to be people (a false positive rarely lasts two samples). */
const MIN_TRACK_LENGTH = 2;

/** What a track keeps of its best face: the caller's shot (pixels, aligned face, ...), ranked by quality. */
export interface RankedShot {
  quality: number;
}

export interface Track<Shot extends RankedShot> {
  last: Face;
  lastSample: number;
  /** Seconds: the first sample the face was seen in, and one sample interval past the last. */
  start: number;
  end: number;
  /** Samples the face was seen in. */
  length: number;
  best: Shot;
}

export interface Sample {
  /** 0-based index among the analysed samples. */
  index: number;
  /** Seconds from the start. */
  time: number;
}

/** Larger, surer and more frontal is better: nose centred between the eyes. */
export function shotQuality(face: Face): number {
  const [rightEye, leftEye, nose] = face.landmarks;
  let frontal = 1;
  if (rightEye && leftEye && nose) {
    const eyeDistance = Math.hypot(leftEye[0] - rightEye[0], leftEye[1] - rightEye[1]) || 1;
    frontal = Math.max(0.1, 1 - Math.abs(nose[0] - (rightEye[0] + leftEye[0]) / 2) / eyeDistance);
  }
  return face.score * Math.sqrt(face.box.width * face.box.height) * frontal;
}

export class FaceTracker<Shot extends RankedShot> {
  private active: Array<Track<Shot>> = [];

  /**
   * @param interval seconds between analysed samples: a track lasts until one interval past its last sample.
   * @param takeShot keeps what is needed of a face that is its track's best so far (called only then, since
   *   copying pixels costs: a track's other faces are dropped).
   */
  constructor(
    private readonly interval: number,
    private readonly takeShot: (face: Face, quality: number, sample: Sample) => Shot,
  ) {}

  /** The faces of one analysed sample. Returns the tracks that have ended with it and are long enough to trust. */
  observe(sample: Sample, faces: Face[]): Array<Track<Shot>> {
    const matched = linkToTracks(this.active, faces);
    for (const [i, face] of faces.entries()) {
      const quality = shotQuality(face);
      let track = matched.get(i);
      if (!track) {
        track = {
          last: face,
          lastSample: sample.index,
          start: sample.time,
          end: 0,
          length: 0,
          best: this.takeShot(face, quality, sample),
        };
        this.active.push(track);
      } else if (quality > track.best.quality) {
        track.best = this.takeShot(face, quality, sample);
      }
      track.last = face;
      track.lastSample = sample.index;
      track.end = sample.time + this.interval;
      track.length++;
    }
    const ended = this.active.filter((track) => sample.index - track.lastSample > MAX_GAP);
    this.active = this.active.filter((track) => sample.index - track.lastSample <= MAX_GAP);
    return trusted(ended);
  }

  /** A scene cut, or the end of the video: every live track ends. */
  endAll(): Array<Track<Shot>> {
    const ended = this.active;
    this.active = [];
    return trusted(ended);
  }
}

function trusted<Shot extends RankedShot>(tracks: Array<Track<Shot>>): Array<Track<Shot>> {
  return tracks.filter((track) => track.length >= MIN_TRACK_LENGTH);
}

/** Greedy one-to-one linking of this sample's faces to live tracks, best overlap first. */
function linkToTracks<T extends { last: Face }>(tracks: T[], faces: Face[]): Map<number, T> {
  const pairs: Array<{ face: number; track: T; overlap: number }> = [];
  faces.forEach((face, i) => {
    for (const track of tracks) {
      const overlap = iou(face.box, track.last.box);
      if (overlap > LINK_IOU) pairs.push({ face: i, track, overlap });
    }
  });
  pairs.sort((a, b) => b.overlap - a.overlap);
  const matched = new Map<number, T>();
  const taken = new Set<T>();
  for (const pair of pairs) {
    if (matched.has(pair.face) || taken.has(pair.track)) continue;
    matched.set(pair.face, pair.track);
    taken.add(pair.track);
  }
  return matched;
}
