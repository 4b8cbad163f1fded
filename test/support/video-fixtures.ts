import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { packageFile } from "../../lib/engine/models/package-file";
import { ffmpegPath } from "../../lib/engine/video/ffmpeg";

/**
 * Test videos made with the packaged ffmpeg from the face-api demo photos, so the number of distinct people in each
 * is known exactly. Each segment is one photo filmed for a few seconds with a pan or a zoom; segments are joined by
 * hard cuts.
 */

const photo = (n: number) => packageFile("@vladmandic/face-api", `demo/sample${n}.jpg`);

export interface Segment {
  photo: number;
  seconds: number;
  /** pan: a 1280×720 window sliding across the photo at 1920 wide; zoom: slowly closer; far: the whole photo small. */
  move: "pan" | "zoom" | "far";
}

const FILTERS: Record<Segment["move"], string> = {
  pan: "scale=1920:-2,crop=1280:720:x='min(t*120,iw-1280)':y='(ih-720)/3',setsar=1",
  zoom: "scale=1920:-2,zoompan=z='1+0.015*in':x='iw/2-(iw/zoom/2)':y='ih/3-(ih/zoom/3)':d=1:s=1280x720:fps=10,setsar=1",
  far: "scale=880:-2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1",
};

export function makeVideo(
  segments: Segment[],
  options: { fps?: number; name?: string; dir?: string } = {},
): string {
  const fps = options.fps ?? 10;
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), "video-fixture-"));
  const out = path.join(dir, options.name ?? "clip.mp4");
  const inputs = segments.flatMap((s) => [
    "-loop",
    "1",
    "-framerate",
    String(fps),
    "-t",
    String(s.seconds),
    "-i",
    photo(s.photo),
  ]);
  const chains = segments.map((s, i) => `[${i}:v]${FILTERS[s.move]},fps=${fps},format=yuv420p[v${i}]`);
  const concat = `${segments.map((_, i) => `[v${i}]`).join("")}concat=n=${segments.length}:v=1:a=0[out]`;
  const result = spawnSync(
    ffmpegPath(),
    [
      ...["-hide_banner", "-v", "error", "-y", ...inputs],
      ...["-filter_complex", `${chains.join(";")};${concat}`, "-map", "[out]"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p", out],
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`ffmpeg could not make the fixture: ${result.stderr}`);
  return out;
}

/** Bytes that start like nothing at all: a "video" of random noise. */
export function randomBytesFile(size = 200_000): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "video-fixture-")), "noise.mp4");
  writeFileSync(file, Buffer.from(Array.from({ length: size }, () => Math.floor(Math.random() * 256))));
  return file;
}

/** A sound-only file in an mp4 container. */
export function audioOnlyFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "video-fixture-"));
  const out = path.join(dir, "sound.mp4");
  const result = spawnSync(
    ffmpegPath(),
    [
      "-hide_banner",
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:duration=2",
      "-c:a",
      "aac",
      out,
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return out;
}

/**
 * A WebM of `seconds` of a flat 64 × 64 picture at 1 frame a second, written as a live stream: its header has no
 * duration (ffmpeg reports `Duration: N/A`), so only decoding tells how long it is. 10 hours make 1.25 MB.
 */
export function undatedWebm(seconds = 36_000): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "video-fixture-")), "undated.webm");
  const result = spawnSync(
    ffmpegPath(),
    [
      ...["-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=64x64:r=1"],
      ...[
        "-t",
        String(seconds),
        "-c:v",
        "libvpx",
        "-b:v",
        "10k",
        "-g",
        "600",
        "-f",
        "webm",
        "-live",
        "1",
        out,
      ],
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return out;
}

/** A short clip of a flat picture of `width` × `height`, as MJPEG in a QuickTime file. */
export function mjpegMov(width: number, height: number, seconds = 1): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "video-fixture-")), "frames.mov");
  const result = spawnSync(
    ffmpegPath(),
    [
      ...["-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", `color=c=gray:s=${width}x${height}:r=2`],
      ...["-t", String(seconds), "-c:v", "mjpeg", "-q:v", "10", out],
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return out;
}

/**
 * An HLS playlist named like a video, whose one segment is another file on this machine: ffmpeg, left to guess the
 * format and follow any protocol, would read that file.
 */
export function playlistPointingAt(file: string): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "video-fixture-")), "playlist.mp4");
  writeFileSync(out, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://${file}\n#EXT-X-ENDLIST\n`);
  return out;
}
