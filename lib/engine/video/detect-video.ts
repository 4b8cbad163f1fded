import { cropPng, cropSquare } from "../crops";
import { alignFace, cosineSimilarity, type FaceEmbedder, SAME_PERSON_SIMILARITY } from "../face-embedding";
import { aboveConfidence, type FaceEngine } from "../face-engine";
import { iou } from "../geometry";
import type { Box, Face, Point, RgbImage } from "../types";
import { probeVideo, sampleFrames, tooLargeFrames, tooLong, type VideoInfo } from "./ffmpeg";
import { CUT_THRESHOLD, signature, signatureDistance } from "./scene-cuts";

/**
 * The distinct people in a video. Frames are sampled a few times a second; faces found in consecutive samples are
 * linked into tracks by overlap (reset at scene cuts, where overlap means nothing); each finished track is compared
 * by face embedding with the people already seen, so someone who comes back after a cut, at another size, is the
 * same person. Each person keeps the best frame seen of them (large, sure, frontal) as their crop.
 */

export interface Appearance {
  start: number;
  end: number;
}

export interface VideoPerson {
  index: number;
  /** Frame number in the source video of the best shot (Magic Hour names crops `<frame>-<index>.png`). */
  frame: number;
  time: number;
  box: Box;
  score: number;
  landmarks: Point[];
  crop: Buffer;
  appearances: Appearance[];
}

export interface VideoDetection {
  width: number;
  height: number;
  duration: number;
  fps: number;
  persons: VideoPerson[];
}

export interface VideoOptions {
  confidence: number;
  /** Frames analysed per second of video. */
  sampleFps: number;
  maxSide: number;
  maxDurationSeconds: number;
  /** Frames above this many pixels are refused, as a photo is (a 16000 × 16000 MJPEG decodes to gigabytes). */
  maxPixels: number;
  /** Wall-clock budget for the whole video, decoding and analysis together. */
  maxProcessingSeconds: number;
  /**
   * How far through the media the analysis is (0..1): media time over the duration, or over the length limit when
   * the header gives no duration (the limit is where it will stop at the latest).
   */
  onProgress?: (fraction: number) => void;
  /** Called when a person is first confirmed, and again when their best shot improves. */
  onPerson?: (person: VideoPerson) => void | Promise<void>;
}

// 2 analysed frames a second: 5.0–6.3× real time on 720p clips on 2 cores (npm run bench:video).
export const DEFAULT_VIDEO_OPTIONS = {
  sampleFps: 2,
  maxSide: 1280,
  maxDurationSeconds: 600,
  maxPixels: 50_000_000,
  maxProcessingSeconds: 1800,
};

const LINK_IOU = 0.3;
/** A track not seen for this many analysed samples has ended. */
const MAX_GAP = 2;
/**
 * Frames are decoded this many times more often than they are analysed. Decoded frames only feed the cheap cut
 * detector, so cuts are found to within a fraction of a second, and the first frame after a cut is always
 * analysed: sampling is denser around cuts, where new people appear.
 */
const DECODE_FACTOR = 3;
/** Tracks shorter than this are not trusted to be people (a false positive rarely lasts two samples). */
const MIN_TRACK_LENGTH = 2;

interface Shot {
  quality: number;
  frame: number;
  time: number;
  face: Face;
  /** The pixels around the face (its crop square), kept raw: PNG encoding waits until the shot is final. */
  region: RgbImage;
  cropBox: Box;
  /** The face aligned for the embedding model; embedded only once its track has ended. */
  aligned: Float32Array;
}

/** A person's best shot, encoded and embedded. */
interface FinishedShot extends Omit<Shot, "region" | "aligned"> {
  crop: Buffer;
  embedding: Float32Array;
}

interface Track {
  last: Face;
  lastSample: number;
  start: number;
  end: number;
  length: number;
  best: Shot | null;
}

interface Person {
  index: number;
  embeddings: Float32Array[];
  best: FinishedShot;
  appearances: Appearance[];
}

/** Larger, surer and more frontal is better: nose centred between the eyes. */
function shotQuality(face: Face): number {
  const [rightEye, leftEye, nose] = face.landmarks;
  let frontal = 1;
  if (rightEye && leftEye && nose) {
    const eyeDistance = Math.hypot(leftEye[0] - rightEye[0], leftEye[1] - rightEye[1]) || 1;
    frontal = Math.max(0.1, 1 - Math.abs(nose[0] - (rightEye[0] + leftEye[0]) / 2) / eyeDistance);
  }
  return face.score * Math.sqrt(face.box.width * face.box.height) * frontal;
}

export async function detectVideo(
  file: string,
  deps: { engine: FaceEngine; embedder: FaceEmbedder },
  options: VideoOptions,
): Promise<VideoDetection> {
  const deadline = Date.now() + options.maxProcessingSeconds * 1000;
  const info: VideoInfo = await probeVideo(file);
  // The header's word is enough to refuse; it is not enough to accept (see the limits on sampleFrames).
  if (info.duration > options.maxDurationSeconds) throw tooLong(options.maxDurationSeconds, info.duration);
  if (info.width * info.height > options.maxPixels) {
    throw tooLargeFrames(options.maxPixels, info.width, info.height);
  }
  const progressOver = info.duration > 0 ? info.duration : options.maxDurationSeconds;
  const persons: Person[] = [];
  let active: Track[] = [];
  let previousThumb: Float32Array | null = null;
  const interval = 1 / options.sampleFps;
  let frameSize = { width: info.width, height: info.height };

  const assign = async (track: Track) => {
    if (track.length < MIN_TRACK_LENGTH || !track.best) return;
    const { region, aligned, ...rest } = track.best;
    const [crop, [embedding]] = await Promise.all([
      cropPng(region, { x: 0, y: 0, width: region.width, height: region.height }),
      deps.embedder.embedAligned([aligned]),
    ]);
    const shot: FinishedShot = { ...rest, crop, embedding: embedding as Float32Array };
    let owner: Person | undefined;
    let bestSimilarity = SAME_PERSON_SIMILARITY;
    for (const person of persons) {
      // Two tracks alive at the same moment are two people.
      if (person.appearances.some((a) => a.start < track.end && track.start < a.end)) continue;
      const similarity = Math.max(...person.embeddings.map((e) => cosineSimilarity(e, shot.embedding)));
      if (similarity > bestSimilarity) {
        bestSimilarity = similarity;
        owner = person;
      }
    }
    const appearance = { start: track.start, end: track.end };
    if (!owner) {
      owner = { index: persons.length, embeddings: [shot.embedding], best: shot, appearances: [appearance] };
      persons.push(owner);
    } else {
      owner.embeddings.push(shot.embedding);
      owner.appearances.push(appearance);
      if (shot.quality <= owner.best.quality) return;
      owner.best = shot;
    }
    await options.onPerson?.(scaleTo(present(owner, info), info.width / frameSize.width));
  };

  let analysed = 0;
  const decoded = sampleFrames(file, info, {
    fps: options.sampleFps * DECODE_FACTOR,
    maxSide: options.maxSide,
    limits: { maxSeconds: options.maxDurationSeconds, maxPixels: options.maxPixels, deadline },
  });
  let lastTime = 0;
  for await (const decodedFrame of decoded) {
    const frame: RgbImage = {
      data: decodedFrame.data,
      width: decodedFrame.width,
      height: decodedFrame.height,
    };
    frameSize = { width: frame.width, height: frame.height };
    lastTime = decodedFrame.time;
    const thumb = signature(frame);
    const cut = previousThumb !== null && signatureDistance(previousThumb, thumb) > CUT_THRESHOLD;
    previousThumb = thumb;
    if (cut) {
      for (const track of active) await assign(track);
      active = [];
    }
    if (!cut && decodedFrame.index % DECODE_FACTOR !== 0) continue;
    const sample = { index: analysed++, time: decodedFrame.time };

    const faces = aboveConfidence(await deps.engine.detectPixels(frame), options.confidence);
    const matched = linkToTracks(active, faces);
    for (const [i, face] of faces.entries()) {
      let track = matched.get(i);
      if (!track) {
        track = {
          last: face,
          lastSample: sample.index,
          start: sample.time,
          end: sample.time,
          length: 0,
          best: null,
        };
        active.push(track);
      }
      track.last = face;
      track.lastSample = sample.index;
      track.end = sample.time + interval;
      track.length++;
      const quality = shotQuality(face);
      // Only a track's best shot is kept: copy its pixels and aligned face now, encode and embed when it's final.
      if (!track.best || quality > track.best.quality) {
        const cropBox = cropSquare(face.box, frame.width, frame.height);
        track.best = {
          quality,
          frame: Math.round(sample.time * info.fps),
          time: sample.time,
          face,
          cropBox,
          region: copyRegion(frame, cropBox),
          aligned: alignFace(frame, face.landmarks),
        };
      }
    }
    const ended = active.filter((track) => sample.index - track.lastSample > MAX_GAP);
    active = active.filter((track) => sample.index - track.lastSample <= MAX_GAP);
    for (const track of ended) await assign(track);
    options.onProgress?.(Math.min(1, sample.time / progressOver));
  }
  for (const track of active) await assign(track);
  // A header without a duration: the length is what was decoded.
  if (!(info.duration > 0)) info.duration = lastTime + 1 / (options.sampleFps * DECODE_FACTOR);

  // Boxes were found on the sampled (possibly downscaled) frames: report them in the video's own pixels.
  const scale = info.width / frameSize.width;
  return {
    width: info.width,
    height: info.height,
    duration: info.duration,
    fps: info.fps,
    persons: persons.map((person) => scaleTo(present(person, info), scale)),
  };
}

function copyRegion(frame: RgbImage, box: Box): RgbImage {
  const data = new Uint8Array(box.width * box.height * 3);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * frame.width + box.x) * 3;
    data.set(frame.data.subarray(from, from + box.width * 3), y * box.width * 3);
  }
  return { data, width: box.width, height: box.height };
}

/** Greedy one-to-one linking of this sample's faces to live tracks, best overlap first. */
function linkToTracks(tracks: Track[], faces: Face[]): Map<number, Track> {
  const pairs: Array<{ face: number; track: Track; overlap: number }> = [];
  faces.forEach((face, i) => {
    for (const track of tracks) {
      const overlap = iou(face.box, track.last.box);
      if (overlap > LINK_IOU) pairs.push({ face: i, track, overlap });
    }
  });
  pairs.sort((a, b) => b.overlap - a.overlap);
  const matched = new Map<number, Track>();
  const taken = new Set<Track>();
  for (const pair of pairs) {
    if (matched.has(pair.face) || taken.has(pair.track)) continue;
    matched.set(pair.face, pair.track);
    taken.add(pair.track);
  }
  return matched;
}

function mergeAppearances(appearances: Appearance[]): Appearance[] {
  const sorted = [...appearances].sort((a, b) => a.start - b.start);
  const merged: Appearance[] = [];
  for (const a of sorted) {
    const last = merged.at(-1);
    if (last && a.start <= last.end) last.end = Math.max(last.end, a.end);
    else merged.push({ ...a });
  }
  return merged;
}

function present(person: Person, info: VideoInfo): VideoPerson {
  const round = (t: number) => Math.round(Math.min(t, info.duration || t) * 100) / 100;
  return {
    index: person.index,
    frame: person.best.frame,
    time: round(person.best.time),
    box: person.best.face.box,
    score: person.best.face.score,
    landmarks: person.best.face.landmarks,
    crop: person.best.crop,
    appearances: mergeAppearances(person.appearances).map((a) => ({
      start: round(a.start),
      end: round(a.end),
    })),
  };
}

function scaleTo(person: VideoPerson, scale: number): VideoPerson {
  if (scale === 1) return person;
  const { box } = person;
  return {
    ...person,
    box: { x: box.x * scale, y: box.y * scale, width: box.width * scale, height: box.height * scale },
    landmarks: person.landmarks.map(([x, y]): Point => [x * scale, y * scale]),
  };
}
