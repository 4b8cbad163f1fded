import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Db, openDatabase } from "./database";
import { type FileStorage, localFileStorage } from "./file-storage";
import { startRetention, sweep } from "./retention";
import { sqliteTaskStore, type TaskStore } from "./task-store";
import { sqliteUploadStore, type UploadStore } from "./upload-store";

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const RETENTION = 7 * DAY;
/** The fake clock's start: a fixed instant, so every age below is exact and nothing depends on the wall clock. */
const T0 = Date.UTC(2026, 0, 1);

let dir: string;
let db: Db;
let now: number;
let tasks: TaskStore;
let uploads: UploadStore;
let storage: FileStorage;
const clock = () => now;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "retention-test-"));
  db = openDatabase(path.join(dir, "facefinder.sqlite"));
  now = T0;
  tasks = sqliteTaskStore(db, clock);
  uploads = sqliteUploadStore(db, clock);
  storage = localFileStorage(path.join(dir, "files"));
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const deps = () => ({ tasks, uploads, storage, retentionMs: RETENTION });

/** A task created now (on the fake clock) with its input and one crop on disk; finished unless told otherwise. */
async function taskWithFiles(id: string, finished = true): Promise<string> {
  const inputKey = `api-assets/${id}/input.jpg`;
  tasks.create({
    id,
    owner: "owner",
    source: inputKey,
    inputKey,
    kind: "image",
    confidence: 0.5,
    provider: "local",
  });
  await storage.write(inputKey, Buffer.from("photo"));
  await storage.write(`api-assets/${id}/0-0.png`, Buffer.from("crop"));
  if (finished) {
    tasks.markRendering(id);
    tasks.complete(id, { width: 10, height: 10 });
  }
  return path.join(dir, "files/api-assets", id);
}

/** A half-written temporary file whose last write was at `modifiedAt` on the fake clock (file times are set to it). */
async function tempFile(id: string, modifiedAt: number): Promise<string> {
  const folder = path.join(dir, "files/api-assets", id);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, "input.jpg.123.456.0.part");
  await writeFile(file, "half");
  await utimes(file, modifiedAt / 1000, modifiedAt / 1000);
  // The folder was written to now: only the file is abandoned.
  await utimes(folder, now / 1000, now / 1000);
  return file;
}

describe("sweep", () => {
  it("expires a finished result once it is older than the retention period, keeping a tombstone", async () => {
    const oldFiles = await taskWithFiles("oldTask");
    now = T0 + 2 * DAY;
    const newFiles = await taskWithFiles("newTask");

    now = T0 + RETENTION;
    expect(await sweep(deps(), now)).toEqual({ tasks: 0, uploads: 0, tempFiles: 0 });
    expect(existsSync(oldFiles)).toBe(true);

    now = T0 + RETENTION + 1;
    expect(await sweep(deps(), now)).toEqual({ tasks: 1, uploads: 0, tempFiles: 0 });
    expect(existsSync(oldFiles)).toBe(false);
    expect(tasks.get("oldTask")).toMatchObject({ status: "complete", expiredAt: now });
    expect(existsSync(newFiles)).toBe(true);
    expect(tasks.get("newTask")?.expiredAt).toBeNull();

    // Once expired, a task is not counted again.
    expect((await sweep(deps(), now)).tasks).toBe(0);
  });

  it("leaves a task that has not finished, however old", async () => {
    const files = await taskWithFiles("stillRunning", false);
    now = T0 + 30 * DAY;
    expect((await sweep(deps(), now)).tasks).toBe(0);
    expect(existsSync(files)).toBe(true);
  });

  it("forgets an old upload slot and its file, unless a live task still reads it", async () => {
    const slot = (id: string) => ({
      id,
      filePath: `api-assets/${id}/input.jpg`,
      kind: "image" as const,
      extension: "jpg",
      expiresAt: T0 + HOUR,
      owner: "owner",
    });
    uploads.create(slot("unusedUpload"));
    uploads.create(slot("queuedUpload"));
    await storage.write("api-assets/unusedUpload/input.jpg", Buffer.from("photo"));
    tasks.create({
      id: "waitingTask",
      owner: "owner",
      source: "api-assets/queuedUpload/input.jpg",
      inputKey: "api-assets/queuedUpload/input.jpg",
      kind: "image",
      confidence: 0.5,
      provider: "local",
    });

    now = T0 + RETENTION + 1;
    expect((await sweep(deps(), now)).uploads).toBe(1);
    expect(uploads.get("unusedUpload")).toBeUndefined();
    expect(existsSync(path.join(dir, "files/api-assets/unusedUpload"))).toBe(false);
    expect(uploads.get("queuedUpload")).toBeDefined();
  });

  it("removes temporary files last written before `staleBefore` and keeps fresher ones", async () => {
    now = T0 + DAY;
    const stale = await tempFile("abandoned", now - 2 * HOUR);
    const fresh = await tempFile("inProgress", now - 1000);

    expect((await sweep(deps(), now, now - HOUR)).tempFiles).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});

describe("startRetention", () => {
  it("sweeps at once by the clock, treating every temporary file older than the start as abandoned", async () => {
    const files = await taskWithFiles("oldTask");
    now = T0 + 2 * DAY;
    const recentFiles = await taskWithFiles("recentTask");
    now = T0 + RETENTION + DAY;
    // A minute old: fresh for a periodic sweep, but a writer from before this start is gone.
    const leftover = await tempFile("killedUpload", now - 60_000);
    const current = await tempFile("liveUpload", now);

    const stop = startRetention(deps(), HOUR, clock);
    try {
      await vi.waitFor(() => {
        expect(existsSync(leftover)).toBe(false);
        expect(existsSync(files)).toBe(false);
      });
      // Six days old by the clock it was given (by the wall clock, months): kept, as is the file written at start.
      expect(existsSync(recentFiles)).toBe(true);
      expect(tasks.get("recentTask")?.expiredAt).toBeNull();
      expect(existsSync(current)).toBe(true);
      expect(tasks.get("oldTask")?.expiredAt).toBe(now);
    } finally {
      stop();
    }
  });
});
