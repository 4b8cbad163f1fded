import { spawn } from "node:child_process";
import { packageFile } from "../models/package-file";

/**
 * ffmpeg from the npm registry (@ffmpeg-installer ships a static build inside the package; nothing is downloaded).
 * Probing reads ffmpeg's own description of the input; frames come out as raw RGB through a pipe, one at a time, so
 * memory stays flat however long the video is.
 */

export class VideoError extends Error {
  constructor(
    readonly code: "corrupt" | "no_video" | "unsupported_codec" | "too_long" | "ffmpeg_missing",
    message: string,
  ) {
    super(message);
    this.name = "VideoError";
  }
}

export interface VideoInfo {
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

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      if (stderr.length < 64_000) stderr += chunk;
    });
    child.on("error", (error) =>
      reject(new VideoError("ffmpeg_missing", `ffmpeg could not start: ${error.message}`)),
    );
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

export async function probeVideo(file: string): Promise<VideoInfo> {
  const { stderr } = await run(["-hide_banner", "-i", file]);
  if (
    /Invalid data found|could not find codec parameters|moov atom not found|EBML header parsing failed/i.test(
      stderr,
    )
  ) {
    throw new VideoError("corrupt", "The video file is damaged or not a video");
  }
  const stream = /Stream #\d+:\d+[^:]*: Video: (\w+)[^\n]*?, (\d{2,5})x(\d{2,5})/.exec(stderr);
  if (!stream) {
    if (/Stream #\d+:\d+[^:]*: Audio:/.test(stderr))
      throw new VideoError("no_video", "The file has sound but no picture");
    throw new VideoError("corrupt", "The video file is damaged or not a video");
  }
  const duration = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  const fps = /, (\d+(?:\.\d+)?) fps/.exec(stderr) ?? /, (\d+(?:\.\d+)?) tbr/.exec(stderr);
  const rotate = /rotate\s*:\s*(-?\d+)/.exec(stderr);
  let width = Number(stream[2]);
  let height = Number(stream[3]);
  // ffmpeg turns rotated phone videos upright while decoding; report the upright size.
  if (rotate && Math.abs(Number(rotate[1])) % 180 === 90) [width, height] = [height, width];
  return {
    codec: stream[1] as string,
    width,
    height,
    duration: duration ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]) : 0,
    fps: fps ? Number(fps[1]) : 25,
  };
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

/**
 * Frames at a fixed rate, scaled so the longer side is at most `maxSide`, as RGB. The generator pulls from ffmpeg's
 * stdout only as fast as the caller consumes, so ffmpeg waits while a frame is being analysed.
 */
export async function* sampleFrames(
  file: string,
  info: VideoInfo,
  options: { fps: number; maxSide: number },
): AsyncGenerator<SampledFrame> {
  const scale = Math.min(1, options.maxSide / Math.max(info.width, info.height));
  const width = Math.max(2, Math.round((info.width * scale) / 2) * 2);
  const height = Math.max(2, Math.round((info.height * scale) / 2) * 2);
  const child = spawn(
    ffmpegPath(),
    [
      ...["-v", "error", "-nostdin", "-i", file, "-an", "-sn", "-dn"],
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
          yield { index, time: index / options.fps, data: frame, width, height };
          index++;
          frame = Buffer.alloc(frameBytes);
          filled = 0;
        }
      }
    }
    const code = await exited;
    if (code !== 0 && index === 0) {
      throw new VideoError(
        /decoder|codec/i.test(stderr) ? "unsupported_codec" : "corrupt",
        /decoder|codec/i.test(stderr) ? "The video's codec is not supported" : "The video file is damaged",
      );
    }
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** One frame as a JPEG (at `time` seconds, at most 1600 px wide): the still shown before a video plays. */
export function posterJpeg(file: string, time = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      ffmpegPath(),
      [
        ...["-v", "error", "-nostdin", "-ss", String(time), "-i", file, "-frames:v", "1"],
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
