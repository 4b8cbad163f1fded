import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  audioOnlyFile,
  makeVideo,
  playlistPointingAt,
  undatedWebm,
} from "../../../test/support/video-fixtures";
import { ffmpegPath } from "./ffmpeg";
import { probeVideo } from "./probe-video";

/** A 2-second test pattern encoded by ffmpeg with extra arguments. */
function encoded(name: string, args: string[]): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "probe-")), name);
  const result = spawnSync(ffmpegPath(), ["-v", "error", "-y", ...args, out], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return out;
}

describe("probing a video with ffprobe", () => {
  it("reads size, codec, rate and length from an MP4", async () => {
    const clip = makeVideo([{ photo: 1, seconds: 2, move: "far" }]);
    expect(await probeVideo(clip)).toEqual({
      demuxer: "mov",
      codec: "h264",
      width: 1280,
      height: 720,
      duration: 2,
      fps: 10,
    });
  });

  it("reports a rotated phone video at its upright size", async () => {
    const clip = makeVideo([{ photo: 1, seconds: 1, move: "far" }]);
    const rotated = encoded("rotated.mp4", ["-i", clip, "-c", "copy", "-metadata:s:v:0", "rotate=90"]);
    expect(await probeVideo(rotated)).toMatchObject({ width: 720, height: 1280 });
  });

  it("rounds an NTSC rate and length to hundredths, as ffmpeg prints them", async () => {
    const ntsc = encoded("ntsc.mov", [
      ...["-f", "lavfi", "-i", "testsrc=s=320x240:r=30000/1001", "-t", "2"],
      ...["-c:v", "libx264", "-preset", "ultrafast"],
    ]);
    expect(await probeVideo(ntsc)).toMatchObject({ demuxer: "mov", fps: 29.97, duration: 2 });
  });

  it("gives 0 for a WebM whose header has no length", async () => {
    expect(await probeVideo(undatedWebm(3))).toMatchObject({ demuxer: "matroska", duration: 0, fps: 1 });
  });

  it("refuses sound without picture, and a playlist in place of a video", async () => {
    await expect(probeVideo(audioOnlyFile())).rejects.toMatchObject({ code: "no_video" });
    const clip = makeVideo([{ photo: 1, seconds: 1, move: "far" }]);
    await expect(probeVideo(playlistPointingAt(clip))).rejects.toMatchObject({ code: "corrupt" });
  });
});
