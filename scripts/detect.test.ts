import { execFile } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { packageFile } from "../lib/engine/models/package-file";
import { makeVideo } from "../test/support/video-fixtures";

const run = promisify(execFile);
const tsx = path.resolve("node_modules/.bin/tsx");
const detect = (...args: string[]) =>
  run(tsx, ["scripts/detect.ts", ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );

describe("npm run detect", () => {
  it("prints one JSON line per file, an error line for an unreadable one, and exits 1", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "detect-"));
    const text = path.join(dir, "notes.png");
    await writeFile(text, "this is text, not a picture");
    const photo = packageFile("@vladmandic/face-api", "demo/sample4.jpg");
    const crops = path.join(dir, "crops");

    const { code, stdout } = await detect("--json", "--crops", crops, photo, text);
    const [first, second] = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(code).toBe(1);
    expect(first).toMatchObject({ file: photo, width: 1920, height: 1448, ms: expect.any(Number) });
    expect(first.ms).toBeGreaterThan(0);
    expect(first.faces).toHaveLength(4);
    expect(Object.keys(first.faces[0]).sort()).toEqual(["box", "landmarks", "score"]);
    expect(first.faces[0].landmarks).toHaveLength(6);
    expect(second).toEqual({ file: text, error: expect.stringMatching(/unsupported|format/i) });

    const written = (await readdir(crops)).sort();
    expect(written).toEqual(["sample4-0-0.png", "sample4-0-1.png", "sample4-0-2.png", "sample4-0-3.png"]);
    expect((await sharp(path.join(crops, "sample4-0-0.png")).metadata()).format).toBe("png");
  });

  it("filters by --confidence and prints a table without --json", async () => {
    const photo = packageFile("@vladmandic/face-api", "demo/sample5.jpg");
    const strict = await detect("--json", "--confidence", "1", photo);
    expect(JSON.parse(strict.stdout).faces).toEqual([]);
    const table = await detect(photo);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/1920×1398 {2}5 faces/);
  });

  it("prints a video's distinct people with their frames, times and appearances", async () => {
    const clip = makeVideo([{ photo: 4, seconds: 2, move: "far" }]);
    const { code, stdout } = await detect("--json", clip);
    expect(code).toBe(0);
    const line = JSON.parse(stdout.trim());
    expect(line).toMatchObject({ file: clip, kind: "video", width: 1280, height: 720, duration: 2 });
    expect(line.faces).toHaveLength(4);
    expect(Object.keys(line.faces[0]).sort()).toEqual([
      "appearances",
      "box",
      "frame",
      "landmarks",
      "score",
      "time",
    ]);
  });

  it("rejects bad arguments with usage and exit code 2", async () => {
    const { code } = await detect("--confidence", "7", "x.jpg");
    expect(code).toBe(2);
  });
});
