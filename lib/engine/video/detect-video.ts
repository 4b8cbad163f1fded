import { cropPng, cropSquare } from "../crops";
import { alignFace, type FaceEmbedder } from "../face-embedding";
import { aboveConfidence, type FaceEngine } from "../face-engine";
import type { Box, Face, Point, RgbImage } from "../types";
import { FaceTracker, type Track } from "./face-tracker";
import { sampleFrames, tooLargeFrames, tooLong, type VideoInfo } from "./ffmpeg";
import { type Appearance, mergeAppearances, type Person, PersonRegistry } from "./person-registry";
import { probeVideo } from "./probe-video";
import { CUT_THRESHOLD, signature, signatureDistance } from "./scene-cuts";

/**
 * The distinct people in a video. Frames are sampled a few times a second; faces found in consecutive samples are
 * linked into tracks by overlap (face-tracker.ts: reset at scene cuts, where overlap means nothing); each finished
 * track is compared by face embedding with the people already seen (person-registry.ts), so someone who comes back
 * after a cut, at another size, is the same person. Each person keeps the best frame seen of them (large, sure,
 * frontal) as their crop.
 */

export type { Appearance } from "./person-registry";

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

/**
 * Frames are decoded this many times more often than they are analysed. Decoded frames only feed the cheap cut
 * detector, so cuts are found to within a fraction of a second, and the first frame after a cut is always
 * analysed: sampling is denser around cuts, where new people appear.
 */
const DECODE_FACTOR = 3;

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
  let frame: RgbImage = { data: new Uint8Array(0), width: info.width, height: info.height };
  // Only a track's best shot is kept: its pixels and aligned face are copied now, encoded and embedded when final.
  const tracker = new FaceTracker<Shot>(1 / options.sampleFps, (face, quality, sample) => {
    const cropBox = cropSquare(face.box, frame.width, frame.height);
    return {
      quality,
      frame: Math.round(sample.time * info.fps),
      time: sample.time,
      face,
      cropBox,
      region: copyRegion(frame, cropBox),
      aligned: alignFace(frame, face.landmarks),
    };
  });
  const registry = new PersonRegistry<FinishedShot>();

  const assign = async (tracks: Array<Track<Shot>>) => {
    for (const track of tracks) {
      const { region, aligned, ...rest } = track.best;
      const [crop, [embedding]] = await Promise.all([
        cropPng(region, { x: 0, y: 0, width: region.width, height: region.height }),
        deps.embedder.embedAligned([aligned]),
      ]);
      const shot: FinishedShot = { ...rest, crop, embedding: embedding as Float32Array };
      const changed = registry.add({ start: track.start, end: track.end, embedding: shot.embedding, shot });
      if (changed) await options.onPerson?.(scaleTo(present(changed, info), info.width / frame.width));
    }
  };

  let analysed = 0;
  let previousThumb: Float32Array | null = null;
  const decoded = sampleFrames(file, info, {
    fps: options.sampleFps * DECODE_FACTOR,
    maxSide: options.maxSide,
    limits: { maxSeconds: options.maxDurationSeconds, maxPixels: options.maxPixels, deadline },
  });
  let lastTime = 0;
  for await (const decodedFrame of decoded) {
    frame = { data: decodedFrame.data, width: decodedFrame.width, height: decodedFrame.height };
    lastTime = decodedFrame.time;
    const thumb = signature(frame);
    const cut = previousThumb !== null && signatureDistance(previousThumb, thumb) > CUT_THRESHOLD;
    previousThumb = thumb;
    if (cut) await assign(tracker.endAll());
    if (!cut && decodedFrame.index % DECODE_FACTOR !== 0) continue;
    const sample = { index: analysed++, time: decodedFrame.time };
    const faces = aboveConfidence(await deps.engine.detectPixels(frame), options.confidence);
    await assign(tracker.observe(sample, faces));
    options.onProgress?.(Math.min(1, sample.time / progressOver));
  }
  await assign(tracker.endAll());
  // A header without a duration: the length is what was decoded.
  if (!(info.duration > 0)) info.duration = lastTime + 1 / (options.sampleFps * DECODE_FACTOR);

  // Boxes were found on the sampled (possibly downscaled) frames: report them in the video's own pixels.
  const scale = info.width / frame.width;
  return {
    width: info.width,
    height: info.height,
    duration: info.duration,
    fps: info.fps,
    persons: registry.persons.map((person) => scaleTo(present(person, info), scale)),
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

function present(person: Person<FinishedShot>, info: VideoInfo): VideoPerson {
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
