import { spawn } from "node:child_process";
import { readHead } from "../../media/read-head";
import { sniffVideo } from "../../media/sniff-media";
import { packageFile } from "../models/package-file";

/**
 * ffmpeg from the npm registry (@ffmpeg-installer ships a static build inside the package; nothing is downloaded).
 * Frames come out as raw RGB through a pipe, one at a time, so memory stays flat however long the video is. What a
 * video is (size, rate, length) comes from ffprobe (probe-video.ts), with the same guarded input arguments.
 */

export class VideoError extends Error {
  constructor(
    readonly code:
      | "corrupt"
      | "no_video"
      | "unsupported_codec"
      | "too_long"
      | "too_large"
      | "too_slow"
      | "ffmpeg_missing",
    message: string,
  ) {
    super(message);
    this.name = "VideoError";
  }
}

export interface VideoInfo {
  /** ffmpeg's demuxer for the container found in the content: ISO BMFF (mp4, m4v, mov) or Matroska (webm). */
  demuxer: Demuxer;
  /** Seconds from the header; 0 when the header has none (a stream written live), so it proves nothing. */
  duration: number;
  width: number;
  height: number;
  fps: number;
  codec: string;
}

/** The binary inside the platform package that @ffmpeg-installer/ffmpeg installs (e.g. @ffmpeg-installer/linux-x64). */
export function ffmpegPath(): string {
  const binary = process.platform === "win32" ? "ffmpeg.exe" : "ffmpeg";
  return packageFile(`@ffmpeg-installer/${process.platform}-${process.arch}`, binary);
}

export type Demuxer = "mov" | "matroska";

/**
 * ffmpeg's arguments for reading the one input file, and nothing else. Left to itself ffmpeg guesses the format from
 * the content and follows whatever the input refers to: an HLS or concat playlist in place of a video makes it read
 * other files (another tenant's stored input) or URLs. So the demuxer is the one sniffed from the content, and the
 * only protocol allowed is `file`, on this path. `max_pixels` makes the decoder refuse frames above the pixel cap
 * even when a stream changes size after its header.
 */
export function inputArgs(file: string, demuxer: Demuxer, maxPixels?: number): string[] {
  return [
    ...["-protocol_whitelist", "file"],
    ...(maxPixels ? ["-max_pixels", String(Math.min(maxPixels, 2 ** 31 - 1))] : []),
    ...["-f", demuxer, "-i", `file:${file}`],
  ];
}

/** The demuxer for a stored video, from its first bytes; a file that is neither container is refused. */
export async function demuxerOf(file: string): Promise<Demuxer> {
  const container = sniffVideo(await readHead(file, 64));
  if (!container) throw new VideoError("corrupt", "The video file is damaged or not a video");
  return container === "mp4" ? "mov" : "matroska";
}

export interface SampledFrame {
  /** 0-based index among the sampled frames. */
  index: number;
  /** Seconds from the start. */
  time: number;
  data: Uint8Array;
  width: number;
  height: number;
}

export interface SamplingLimits {
  /** Media time past which decoding stops with "too_long", whatever the header said (or didn't). */
  maxSeconds: number;
  /** Largest decoded frame, in pixels. */
  maxPixels: number;
  /** Wall-clock time (ms since the epoch) past which decoding stops with "too_slow". */
  deadline: number;
}

/** Too long: by the header's duration when it has one, else found while decoding. */
export function tooLong(limitSeconds: number, headerSeconds?: number): VideoError {
  return new VideoError(
    "too_long",
    headerSeconds === undefined
      ? `The video is longer than the limit of ${formatSeconds(limitSeconds)}`
      : `The video is ${Math.round(headerSeconds)} s long; the limit is ${formatSeconds(limitSeconds)}`,
  );
}

export function tooSlow(): VideoError {
  return new VideoError("too_slow", "The video took too long to process");
}

function formatSeconds(seconds: number): string {
  return seconds >= 120 && seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} s`;
}

/**
 * Frames at a fixed rate, scaled so the longer side is at most `maxSide`, as RGB. The generator pulls from ffmpeg's
 * stdout only as fast as the caller consumes, so ffmpeg waits while a frame is being analysed.
 *
 * The limits hold as frames are decoded, not only from the header: a file can say nothing about its length (a WebM
 * written live has no duration) or lie about it. Decoding stops at `maxSeconds` of media time (ffmpeg's own `-t`,
 * and a check on every frame), at the wall-clock deadline (ffmpeg is killed, even mid-frame), and ffmpeg refuses
 * frames above `maxPixels`.
 */
export async function* sampleFrames(
  file: string,
  info: VideoInfo,
  options: { fps: number; maxSide: number; limits: SamplingLimits },
): AsyncGenerator<SampledFrame> {
  const { limits } = options;
  const scale = Math.min(1, options.maxSide / Math.max(info.width, info.height));
  const width = Math.max(2, Math.round((info.width * scale) / 2) * 2);
  const height = Math.max(2, Math.round((info.height * scale) / 2) * 2);
  const child = spawn(
    ffmpegPath(),
    [
      ...["-v", "error", "-nostdin", ...inputArgs(file, info.demuxer, limits.maxPixels), "-an", "-sn", "-dn"],
      // One frame past the limit, so that reaching it is seen (and refused) rather than silently cut.
      ...["-t", String(limits.maxSeconds + 2 / options.fps)],
      ...["-vf", `fps=${options.fps},scale=${width}:${height}:flags=area`],
      ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    if (stderr.length < 16_000) stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      child.kill("SIGKILL");
    },
    Math.max(0, limits.deadline - Date.now()),
  );
  const frameBytes = width * height * 3;
  let frame = Buffer.alloc(frameBytes);
  let filled = 0;
  let index = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - offset);
        chunk.copy(frame, filled, offset, offset + take);
        filled += take;
        offset += take;
        if (filled === frameBytes) {
          const time = index / options.fps;
          if (time > limits.maxSeconds) throw tooLong(limits.maxSeconds);
          if (timedOut || Date.now() > limits.deadline) throw tooSlow();
          yield { index, time, data: frame, width, height };
          index++;
          frame = Buffer.alloc(frameBytes);
          filled = 0;
        }
      }
    }
    const code = await exited;
    if (timedOut) throw tooSlow();
    if (/max pixel count/i.test(stderr)) throw tooLargeFrames(limits.maxPixels);
    if (code !== 0 && index === 0) {
      throw new VideoError(
        /decoder|codec/i.test(stderr) ? "unsupported_codec" : "corrupt",
        /decoder|codec/i.test(stderr) ? "The video's codec is not supported" : "The video file is damaged",
      );
    }
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

export function tooLargeFrames(maxPixels: number, width?: number, height?: number): VideoError {
  const size = width && height ? `${width}x${height} (${megapixels(width * height)})` : "larger than allowed";
  return new VideoError("too_large", `The video's frames are ${size}; the limit is ${megapixels(maxPixels)}`);
}

function megapixels(pixels: number): string {
  return `${(pixels / 1_000_000).toFixed(1).replace(/\.0$/, "")} megapixels`;
}

/** One frame as a JPEG (at `time` seconds, at most 1600 px wide): the still shown before a video plays. */
export async function posterJpeg(file: string, time = 0): Promise<Buffer> {
  const demuxer = await demuxerOf(file);
  return new Promise((resolve, reject) => {
    const child = spawn(
      ffmpegPath(),
      [
        ...["-v", "error", "-nostdin", "-ss", String(time), ...inputArgs(file, demuxer), "-frames:v", "1"],
        ...["-vf", "scale='min(1600,iw)':-2", "-f", "image2", "-c:v", "mjpeg", "-q:v", "4", "pipe:1"],
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 && chunks.length > 0
        ? resolve(Buffer.concat(chunks))
        : reject(new VideoError("corrupt", "No frame")),
    );
  });
}
