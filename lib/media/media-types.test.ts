import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ALL_EXTENSIONS,
  acceptedTypes,
  contentTypeOf,
  extensionOfFormat,
  IMAGE_EXTENSIONS,
  kindOfExtension,
  VIDEO_EXTENSIONS,
} from "./media-types";

describe("the media table", () => {
  it("lists Magic Hour's image extensions in its order, then the videos", () => {
    expect(IMAGE_EXTENSIONS).toEqual([
      "png",
      "jpg",
      "jpeg",
      "jfif",
      "heic",
      "heif",
      "webp",
      "avif",
      "jp2",
      "tiff",
      "tif",
      "bmp",
    ]);
    expect(VIDEO_EXTENSIONS).toEqual(["mp4", "m4v", "mov", "webm"]);
    expect(ALL_EXTENSIONS).toEqual([...IMAGE_EXTENSIONS, ...VIDEO_EXTENSIONS]);
  });

  it("answers kind and Content-Type by extension, whatever its case", () => {
    expect(kindOfExtension("HEIC")).toBe("image");
    expect(kindOfExtension("mov")).toBe("video");
    expect(kindOfExtension("gif")).toBeNull();
    expect(contentTypeOf("JPG")).toBe("image/jpeg");
    expect(contentTypeOf("m4v")).toBe("video/x-m4v");
    expect(contentTypeOf("exe")).toBe("application/octet-stream");
  });

  it("names stored files after the content's format", () => {
    expect(extensionOfFormat("jpeg")).toBe("jpg");
    expect(extensionOfFormat("j2k")).toBe("jp2");
    expect(extensionOfFormat("tiff")).toBe("tiff");
    expect(extensionOfFormat("mp4")).toBe("mp4");
  });

  it("gives the upload form every extension under its MIME type", () => {
    expect(acceptedTypes("image")["image/jpeg"]).toEqual([".jpg", ".jpeg", ".jfif"]);
    expect(Object.values(acceptedTypes("video")).flat()).toEqual([".mp4", ".m4v", ".mov", ".webm"]);
  });

  it("is what the README says is accepted", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(`Accepted images: ${IMAGE_EXTENSIONS.join(", ")} —`);
    expect(readme).toContain(`Accepted videos: ${VIDEO_EXTENSIONS.join(", ")} —`);
  });
});
