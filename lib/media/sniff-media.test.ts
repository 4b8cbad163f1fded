import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { HEIC_QUADRANTS } from "../../test/support/heic-fixtures";
import { makeVideo, mjpegMov, undatedWebm } from "../../test/support/video-fixtures";
import { readHead } from "./read-head";
import { extensionFromContent, sniffMedia, sniffVideo } from "./sniff-media";

describe("one sniffer for photos and videos", () => {
  it("takes a real HEIC photo for an image, never a video, though it is ISO-BMFF like an MP4", () => {
    expect(sniffMedia(HEIC_QUADRANTS)).toEqual({ kind: "image", format: "heic" });
    expect(sniffVideo(HEIC_QUADRANTS)).toBeNull();
    expect(extensionFromContent(HEIC_QUADRANTS, "video")).toBeNull();
    expect(extensionFromContent(HEIC_QUADRANTS, "image")).toBe("heic");
  });

  it("takes an AVIF photo (also ISO-BMFF) for an image", async () => {
    const avif = await sharp({ create: { width: 16, height: 16, channels: 3, background: "#c33" } })
      .avif()
      .toBuffer();
    expect(sniffMedia(avif)).toEqual({ kind: "image", format: "avif" });
    expect(sniffVideo(avif)).toBeNull();
  });

  it("takes a real MP4, a QuickTime MOV and a WebM for videos, from their first bytes", async () => {
    const mp4 = await readHead(makeVideo([{ photo: 1, seconds: 1, move: "far" }]), 64);
    expect(sniffMedia(mp4)).toEqual({ kind: "video", format: "mp4" });
    expect(extensionFromContent(mp4, "video")).toBe("mp4");
    expect(extensionFromContent(mp4, "image")).toBeNull();
    expect(sniffMedia(await readHead(mjpegMov(64, 48), 64))).toEqual({ kind: "video", format: "mp4" });
    expect(sniffMedia(await readHead(undatedWebm(2), 64))).toEqual({ kind: "video", format: "webm" });
  });

  it("stores a file under the first extension of its content format", async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#fff" } })
      .jpeg()
      .toBuffer();
    expect(extensionFromContent(jpeg, "image")).toBe("jpg");
    expect(extensionFromContent(Buffer.from([0xff, 0x4f, 0xff, 0x51, 0, 0]), "image")).toBe("jp2");
  });

  it("recognises nothing in text, an empty file or a playlist", async () => {
    expect(sniffMedia(Buffer.from("#EXTM3U\n#EXT-X-VERSION:3\n"))).toBeNull();
    expect(sniffMedia(Buffer.alloc(0))).toBeNull();
    expect(sniffMedia(await readFile(new URL(import.meta.url)))).toBeNull();
  });
});
