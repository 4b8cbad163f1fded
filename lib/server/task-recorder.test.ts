import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "./database";
import { type FileStorage, localFileStorage } from "./file-storage";
import { MAX_TASK_ATTEMPTS, TaskRecorder } from "./task-recorder";
import { sqliteTaskStore, type TaskStore } from "./task-store";
import { sqliteUploadStore } from "./upload-store";

/**
 * Task states that can't be written (a full disk) are kept and written when they can, and a restart gives up on a
 * task after MAX_TASK_ATTEMPTS starts. SQLite's `query_only` makes every write fail for real, as a full disk does.
 */

let db: Db;
let tasks: TaskStore;
let storage: FileStorage;
let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "recorder-test-"));
  db = openDatabase(path.join(root, "facefinder.sqlite"));
  tasks = sqliteTaskStore(db);
  storage = localFileStorage(path.join(root, "files"));
});
afterEach(() => db.close());

const newTask = (id: string) =>
  tasks.create({
    id,
    owner: "web",
    source: `api-assets/${id}/input.jpg`,
    inputKey: `api-assets/${id}/input.jpg`,
    kind: "image",
    confidence: 0.5,
    provider: "local",
  });

describe("TaskRecorder", () => {
  it("records a failure that could not be written as soon as writes work again, without the task's files", async () => {
    const enqueued: string[] = [];
    const recorder = new TaskRecorder(tasks, storage, (id) => enqueued.push(id), 60_000);
    newTask("taskA");
    expect(recorder.start("taskA")).toBe(true);
    await storage.write("api-assets/taskA/input.jpg", Buffer.from("input"));
    await storage.write("api-assets/taskA/0-0.png", Buffer.from("crop"));
    tasks.addFace("taskA", {
      frame: 0,
      index: 0,
      path: "api-assets/taskA/0-0.png",
      score: 0.9,
      box: null,
      landmarks: [],
    });

    db.pragma("query_only = ON");
    await recorder.fail("taskA", "api-assets/taskA/input.jpg", "The server ran out of storage space");
    expect(recorder.waiting).toBe(1);
    expect(tasks.get("taskA")?.status).toBe("rendering");
    // Its crop is gone already (that is what frees space); its input stays.
    expect(existsSync(path.join(root, "files/api-assets/taskA/0-0.png"))).toBe(false);
    expect(existsSync(path.join(root, "files/api-assets/taskA/input.jpg"))).toBe(true);

    recorder.retry();
    expect(recorder.waiting).toBe(1);
    db.pragma("query_only = OFF");
    recorder.retry();
    expect(recorder.waiting).toBe(0);
    expect(tasks.get("taskA")).toMatchObject({
      status: "error",
      error: "The server ran out of storage space",
    });
    expect(tasks.faces("taskA")).toEqual([]);
    recorder.stop();
  });

  it("does not run a task whose start can't be recorded, and queues it again when it can", () => {
    const enqueued: string[] = [];
    const recorder = new TaskRecorder(tasks, storage, (id) => enqueued.push(id), 60_000);
    newTask("taskB");
    db.pragma("query_only = ON");
    expect(recorder.start("taskB")).toBe(false);
    expect(recorder.waiting).toBe(1);
    db.pragma("query_only = OFF");
    recorder.retry();
    expect(enqueued).toEqual(["taskB"]);
    expect(recorder.start("taskB")).toBe(true);
    expect(tasks.get("taskB")?.attempts).toBe(1);
    recorder.stop();
  });

  it("keeps a task waiting when a retry's start fails again at once (a queue that starts it synchronously)", () => {
    let starts = 0;
    // The queue runs the task as soon as it is enqueued, and the store still refuses writes.
    const recorder: TaskRecorder = new TaskRecorder(
      tasks,
      storage,
      (id) => {
        if (++starts > 5) throw new Error("retry keeps restarting the same task");
        recorder.start(id);
      },
      60_000,
    );
    newTask("taskC");
    db.pragma("query_only = ON");
    expect(recorder.start("taskC")).toBe(false);
    recorder.retry();
    expect(starts).toBe(1);
    expect(recorder.waiting).toBe(1);
    recorder.stop();
  });
});

describe("start-up recovery", () => {
  it("runs an interrupted task again once, then fails it", () => {
    newTask("once");
    newTask("twice");
    newTask("waiting");
    tasks.markRendering("once");
    tasks.markRendering("twice");
    // "twice" was interrupted before: back in the queue, started again, interrupted again.
    tasks.recoverQueued(MAX_TASK_ATTEMPTS);
    tasks.markRendering("twice");
    tasks.addFace("twice", {
      frame: 0,
      index: 0,
      path: "api-assets/twice/0-0.png",
      score: 1,
      box: null,
      landmarks: [],
    });

    const { queued, failed } = tasks.recoverQueued(MAX_TASK_ATTEMPTS);
    expect(failed).toEqual(["twice"]);
    expect(queued.sort()).toEqual(["once", "waiting"]);
    expect(tasks.get("twice")).toMatchObject({
      status: "error",
      error: expect.stringMatching(/stopped.*2 times/),
    });
    expect(tasks.faces("twice")).toEqual([]);
  });

  it("frees upload slots whose PUT was cut off by the process dying", () => {
    const uploads = sqliteUploadStore(db);
    uploads.create({
      id: "up1",
      filePath: "api-assets/up1/input.jpg",
      kind: "image",
      extension: "jpg",
      expiresAt: 0,
      owner: null,
    });
    expect(uploads.claim("up1")).toBe(true);
    expect(uploads.resetInterrupted()).toBe(1);
    expect(uploads.get("up1")?.state).toBe("pending");
    expect(uploads.claim("up1")).toBe(true);
  });
});
