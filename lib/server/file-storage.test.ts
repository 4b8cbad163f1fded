import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { type FileStorage, localFileStorage } from "./file-storage";

let root: string;
let storage: FileStorage;
const under = (...parts: string[]) => path.join(root, "api-assets", ...parts);

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "storage-test-"));
  storage = localFileStorage(root);
});

describe("local file storage", () => {
  it("leaves no temporary file behind when a write fails", async () => {
    // A directory where the file should go: the final rename fails, as a full disk fails the write.
    mkdirSync(under("task1", "0-0.png"), { recursive: true });
    writeFileSync(under("task1", "0-0.png", "keep.txt"), "x");
    await expect(storage.write("api-assets/task1/0-0.png", Buffer.from("crop"))).rejects.toThrow();
    expect(readdirSync(under("task1"))).toEqual(["0-0.png"]);
  });

  it("discards a temporary file with its folder, unless the folder holds something else", async () => {
    const lone = await storage.tempFile("api-assets/upload1/input.jpg");
    writeFileSync(lone, "partial");
    await storage.discard(lone);
    expect(existsSync(under("upload1"))).toBe(false);

    await storage.write("api-assets/upload2/input.jpg", Buffer.from("done"));
    const beside = await storage.tempFile("api-assets/upload2/other.jpg");
    writeFileSync(beside, "partial");
    await storage.discard(beside);
    expect(readdirSync(under("upload2"))).toEqual(["input.jpg"]);
  });

  it("removes a task's outputs but keeps its input", async () => {
    await storage.write("api-assets/task2/input.png", Buffer.from("input"));
    await storage.write("api-assets/task2/0-0.png", Buffer.from("crop"));
    await storage.write("api-assets/task2/preview.jpg", Buffer.from("preview"));
    await storage.removeOutputs("task2", "api-assets/task2/input.png");
    expect(readdirSync(under("task2"))).toEqual(["input.png"]);
    await storage.removeOutputs("task2", null);
    expect(existsSync(under("task2"))).toBe(false);
  });

  it("sweeps stale temporary files and empty folders, not fresh ones or folders in use", async () => {
    const old = (Date.now() - 3_600_000) / 1000;
    mkdirSync(under("killed"), { recursive: true });
    mkdirSync(under("busy"), { recursive: true });
    writeFileSync(under("busy", "input.jpg"), "x");
    const stale = await storage.tempFile("api-assets/crashed/input.jpg");
    writeFileSync(stale, "partial");
    for (const entry of [under("killed"), under("busy"), stale, under("crashed")])
      utimesSync(entry, old, old);
    mkdirSync(under("fresh"), { recursive: true });

    const removed = await storage.removeStale(Date.now() - 60_000);
    expect(removed).toBe(3); // the stale .part, then its folder, and the killed upload's empty folder
    expect(readdirSync(under()).sort()).toEqual(["busy", "fresh"]);
  });
});
