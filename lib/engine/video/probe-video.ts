import { spawn } from "node:child_process";
import { z } from "zod";
import { packageFile } from "../models/package-file";
import { demuxerOf, inputArgs, VideoError, type VideoInfo } from "./ffmpeg";

/**
 * What a video is, from ffprobe's JSON report (@ffprobe-installer ships a static build inside the package; nothing
 * is downloaded). ffprobe gets the same guarded input arguments as ffmpeg: the demuxer sniffed from the content,
 * only the `file` protocol, on this one path.
 */

/** The binary inside the platform package that @ffprobe-installer/ffprobe installs (e.g. @ffprobe-installer/linux-x64). */
export function ffprobePath(): string {
  const binary = process.platform === "win32" ? "ffprobe.exe" : "ffprobe";
  return packageFile(`@ffprobe-installer/${process.platform}-${process.arch}`, binary);
}

/** The fields of ffprobe's `-show_streams -show_format` JSON that are read; everything else is ignored. */
const ProbeReport = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        avg_frame_rate: z.string().optional(),
        r_frame_rate: z.string().optional(),
        tags: z.object({ rotate: z.string().optional() }).partial().optional(),
        side_data_list: z.array(z.object({ rotation: z.number().optional() }).partial()).optional(),
      }),
    )
    .default([]),
  format: z.object({ duration: z.string().optional() }).partial().default({}),
});
type ProbeReport = z.infer<typeof ProbeReport>;

/** ffprobe's messages for a file its demuxer can't make sense of (it may still exit 0 on some of them). */
const DAMAGED =
  /Invalid data found|could not find codec parameters|moov atom not found|EBML header parsing failed/i;

function damaged(): VideoError {
  return new VideoError("corrupt", "The video file is damaged or not a video");
}

export async function probeVideo(file: string): Promise<VideoInfo> {
  const demuxer = await demuxerOf(file);
  const { code, stdout, stderr } = await runProbe([
    ...["-v", "warning", "-print_format", "json", "-show_streams", "-show_format"],
    ...inputArgs(file, demuxer),
  ]);
  if (code !== 0 || DAMAGED.test(stderr)) throw damaged();
  let report: ProbeReport;
  try {
    report = ProbeReport.parse(JSON.parse(stdout));
  } catch {
    throw damaged();
  }
  const stream = report.streams.find((s) => s.codec_type === "video");
  if (!stream?.codec_name || !stream.width || !stream.height) {
    if (report.streams.some((s) => s.codec_type === "audio")) {
      throw new VideoError("no_video", "The file has sound but no picture");
    }
    throw damaged();
  }
  let { width, height } = stream;
  // ffmpeg turns rotated phone videos upright while decoding; report the upright size.
  if (Math.abs(rotationOf(stream)) % 180 === 90) [width, height] = [height, width];
  // Hundredths, as ffmpeg prints a duration: the length reported for a video stays what it was.
  const duration = Math.round(Number(report.format.duration) * 100) / 100;
  return {
    demuxer,
    codec: stream.codec_name,
    width,
    height,
    duration: Number.isFinite(duration) && duration > 0 ? duration : 0,
    fps: frameRate(stream.avg_frame_rate) ?? frameRate(stream.r_frame_rate) ?? 25,
  };
}

/** Degrees, from the display matrix (ffprobe 5 and later) or the older `rotate` tag. */
function rotationOf(stream: ProbeReport["streams"][number]): number {
  const matrix = stream.side_data_list?.find((data) => data.rotation !== undefined)?.rotation;
  return Math.round(matrix ?? Number(stream.tags?.rotate ?? 0)) || 0;
}

/**
 * A rate such as "30000/1001", rounded to hundredths as ffmpeg prints it (29.97), so frame numbers computed from it
 * stay what they were when the rate was read from ffmpeg's text; null for "0/0" (unknown).
 */
function frameRate(rate: string | undefined): number | null {
  const [numerator, denominator] = (rate ?? "").split("/").map(Number);
  if (!numerator || !denominator) return null;
  const fps = numerator / denominator;
  return Math.round(fps * 100) / 100 || Math.round(fps * 10_000) / 10_000;
}

function runProbe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffprobePath(), args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    // A report is a few kilobytes; the caps only bound what a hostile file can make ffprobe print.
    child.stdout.on("data", (chunk) => {
      if (stdout.length < 1_000_000) stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      if (stderr.length < 64_000) stderr += chunk;
    });
    child.on("error", (error) =>
      reject(new VideoError("ffmpeg_missing", `ffprobe could not start: ${error.message}`)),
    );
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
