import "server-only";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaceRecord, NewTask } from "../task-store";
import {
  type Claim,
  type ClaimOptions,
  LeaseLostError,
  type SharedSettings,
  type TaskRepository,
  type UploadRepository,
} from "./task-repository";

/**
 * What every repository does, embedded or scale-out: the same tests run against SQLite and PostgreSQL, so code above
 * the seam can't tell them apart.
 */
export interface Repositories {
  tasks: TaskRepository;
  uploads: UploadRepository;
  settings: SharedSettings;
  close(): Promise<void>;
}

export const OPTIONS: ClaimOptions = { worker: "test:1", leaseMs: 60_000, maxAttempts: 3 };

export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    id: randomUUID().replaceAll("-", ""),
    owner: "owner-a",
    source: "api-assets/up1/input.jpg",
    inputKey: "api-assets/up1/input.jpg",
    kind: "image",
    confidence: 0.5,
    provider: "local",
    ...overrides,
  };
}

export function face(taskId: string, index: number, score: number | null = 0.9): FaceRecord {
  return {
    frame: 0,
    index,
    path: `api-assets/${taskId}/0-${index}.png`,
    score,
    box: score === null ? null : { x: index * 10, y: 5, width: 40, height: 48 },
    landmarks:
      score === null
        ? []
        : [
            [1, 2],
            [3, 4],
          ],
  };
}

export async function claimed(tasks: TaskRepository, id: string, options = OPTIONS): Promise<Claim> {
  const result = await tasks.claim(id, options);
  if (!result.claimed) throw new Error(`expected to claim ${id}, got ${result.reason}`);
  return result.claim;
}

export function describeRepositoryContract(name: string, open: () => Promise<Repositories>): void {
  describe(`${name}: the repository contract`, () => {
    let repos: Repositories;
    beforeAll(async () => {
      repos = await open();
    });
    afterAll(async () => {
      await repos?.close();
    });

    it("creates a task queued and reads it back", async () => {
      const task = newTask({ provider: "magic-hour", kind: "video", confidence: 0.7 });
      const created = await repos.tasks.create(task);
      expect(created).toMatchObject({
        ...task,
        status: "queued",
        remoteId: null,
        error: null,
        expiredAt: null,
      });
      expect(typeof created.createdAt).toBe("number");
      expect(await repos.tasks.get(task.id)).toEqual(created);
      expect(await repos.tasks.get("nope")).toBeUndefined();
    });

    it("finds a rerun's live twin: same owner, source, confidence and provider, not failed", async () => {
      const source = `api-assets/${randomUUID().replaceAll("-", "")}/input.jpg`;
      const first = await repos.tasks.create(newTask({ source, confidence: 0.35 }));
      expect(await repos.tasks.findSame("owner-a", source, 0.35, "local")).toBe(first.id);
      expect(await repos.tasks.findSame("owner-b", source, 0.35, "local")).toBeUndefined();
      expect(await repos.tasks.findSame("owner-a", source, 0.4, "local")).toBeUndefined();
      expect(await repos.tasks.findSame("owner-a", source, 0.35, "magic-hour")).toBeUndefined();
      const failed = await repos.tasks.create(newTask({ source, confidence: 0.6 }));
      await repos.tasks.fail(await claimed(repos.tasks, failed.id), "broken");
      expect(await repos.tasks.findSame("owner-a", source, 0.6, "local")).toBeUndefined();
    });

    it("claims a queued task once; a live claim holds it; finished and missing tasks are not claimed", async () => {
      const task = await repos.tasks.create(newTask());
      const first = await repos.tasks.claim(task.id, OPTIONS);
      expect(first).toMatchObject({
        claimed: true,
        claim: { taskId: task.id, attempt: 1 },
        task: { status: "rendering" },
      });
      const second = await repos.tasks.claim(task.id, { ...OPTIONS, worker: "test:2" });
      expect(second).toMatchObject({ claimed: false, reason: "held" });
      if (!second.claimed && second.reason === "held") {
        expect(second.leaseLeftMs).toBeGreaterThan(0);
        expect(second.leaseLeftMs).toBeLessThanOrEqual(OPTIONS.leaseMs);
      }
      if (!first.claimed) return;
      await repos.tasks.complete(first.claim, { width: 640, height: 480 });
      expect(await repos.tasks.claim(task.id, OPTIONS)).toEqual({ claimed: false, reason: "finished" });
      expect(await repos.tasks.claim("missing-task", OPTIONS)).toEqual({ claimed: false, reason: "missing" });
      expect(await repos.tasks.get(task.id)).toMatchObject({
        status: "complete",
        width: 640,
        height: 480,
        progress: 1,
      });
    });

    it("writes faces under the claim and filters them by score, in frame then index order", async () => {
      const task = await repos.tasks.create(newTask());
      const claim = await claimed(repos.tasks, task.id);
      await repos.tasks.addFace(claim, face(task.id, 1, 0.4));
      await repos.tasks.addFace(claim, face(task.id, 0, 0.95));
      await repos.tasks.addFace(claim, {
        ...face(task.id, 2, null),
        frame: 12,
        time: 2,
        appearances: [{ start: 1, end: 3 }],
      });
      // The same face twice (a retried write) is still one face.
      await repos.tasks.addFace(claim, face(task.id, 0, 0.95));
      await repos.tasks.setProgress(claim, 0.5);
      expect((await repos.tasks.get(task.id))?.progress).toBe(0.5);
      await repos.tasks.complete(claim, { width: 100, height: 80, duration: 4.5 });
      const all = await repos.tasks.faces(task.id);
      expect(all.map((f) => [f.frame, f.index])).toEqual([
        [0, 0],
        [0, 1],
        [12, 2],
      ]);
      expect(all[0]).toEqual(face(task.id, 0, 0.95));
      expect(all[2]).toEqual({
        ...face(task.id, 2, null),
        frame: 12,
        time: 2,
        appearances: [{ start: 1, end: 3 }],
      });
      expect((await repos.tasks.faces(task.id, 0.5)).map((f) => f.index)).toEqual([0, 2]);
      expect(await repos.tasks.get(task.id)).toMatchObject({ duration: 4.5 });
    });

    it("replaces a face by its index (a video person's better shot)", async () => {
      const task = await repos.tasks.create(newTask({ kind: "video" }));
      const claim = await claimed(repos.tasks, task.id);
      await repos.tasks.addFace(claim, { ...face(task.id, 0), frame: 3 });
      await repos.tasks.replaceFace(claim, { ...face(task.id, 0, 0.99), frame: 9 });
      const faces = await repos.tasks.faces(task.id);
      expect(faces.map((f) => [f.frame, f.index, f.score])).toEqual([[9, 0, 0.99]]);
    });

    it("refuses every write from a claim that is no longer current", async () => {
      const task = await repos.tasks.create(newTask());
      const claim = await claimed(repos.tasks, task.id);
      await repos.tasks.fail(claim, "Could not decode the image");
      const stale: Array<Promise<unknown>> = [
        repos.tasks.addFace(claim, face(task.id, 0)),
        repos.tasks.replaceFace(claim, face(task.id, 0)),
        repos.tasks.setProgress(claim, 0.2),
        repos.tasks.setInput(claim, "api-assets/x/input.jpg"),
        repos.tasks.setRemoteId(claim, "remote"),
        repos.tasks.renew(claim, 60_000),
        repos.tasks.complete(claim, { width: 1, height: 1 }),
        repos.tasks.fail(claim, "again"),
        repos.tasks.park(claim, 1000),
        repos.tasks.release(claim),
      ];
      const outcomes = await Promise.allSettled(stale);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(LeaseLostError);
      }
      expect(await repos.tasks.get(task.id)).toMatchObject({
        status: "error",
        error: "Could not decode the image",
      });
      expect(await repos.tasks.faces(task.id)).toEqual([]);
    });

    it("parks a task while a remote provider works, and resumes the same attempt under a new token", async () => {
      const task = await repos.tasks.create(newTask({ provider: "magic-hour" }));
      const claim = await claimed(repos.tasks, task.id);
      await repos.tasks.setRemoteId(claim, "mh-123");
      // A fractional wait (half of an elapsed time) is a whole number of milliseconds to the database.
      await repos.tasks.park(claim, 60_000.5);
      expect((await repos.tasks.get(task.id))?.status).toBe("rendering");
      const resumed = await claimed(repos.tasks, task.id);
      expect(resumed.attempt).toBe(claim.attempt);
      expect(resumed.token).not.toBe(claim.token);
      await expect(repos.tasks.setProgress(claim, 0.1)).rejects.toBeInstanceOf(LeaseLostError);
      await repos.tasks.addFace(resumed, face(task.id, 0, null));
      await repos.tasks.complete(resumed, { width: 10, height: 10 });
      expect(await repos.tasks.get(task.id)).toMatchObject({ status: "complete", remoteId: "mh-123" });
    });

    it("releases a task back to the queue without counting the attempt", async () => {
      const task = await repos.tasks.create(newTask());
      const claim = await claimed(repos.tasks, task.id);
      await repos.tasks.release(claim);
      expect((await repos.tasks.get(task.id))?.status).toBe("queued");
      expect((await claimed(repos.tasks, task.id)).attempt).toBe(claim.attempt);
    });

    it("abandons an unfinished task with the reason, and leaves a finished one alone", async () => {
      const queued = await repos.tasks.create(newTask());
      expect(await repos.tasks.abandon(queued.id, "Face detection failed")).toBe(true);
      expect(await repos.tasks.get(queued.id)).toMatchObject({
        status: "error",
        error: "Face detection failed",
      });
      expect(await repos.tasks.abandon(queued.id, "again")).toBe(false);
      expect((await repos.tasks.get(queued.id))?.error).toBe("Face detection failed");
    });

    it("lists queued tasks for the sweeper, oldest first, without the ones being worked on or finished", async () => {
      await repos.tasks.stranded(1000); // the embedded repository's first call is its start-up recovery
      const older = await repos.tasks.create(newTask());
      const running = await repos.tasks.create(newTask());
      const done = await repos.tasks.create(newTask());
      const newer = await repos.tasks.create(newTask());
      await claimed(repos.tasks, running.id);
      await repos.tasks.complete(await claimed(repos.tasks, done.id), { width: 1, height: 1 });
      const ids = await repos.tasks.stranded(1000);
      expect(ids).toContain(older.id);
      expect(ids).toContain(newer.id);
      expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
      expect(ids).not.toContain(running.id);
      expect(ids).not.toContain(done.id);
    });

    it("expires finished tasks created before the cutoff and drops their faces", async () => {
      const old = await repos.tasks.create(newTask());
      const claim = await claimed(repos.tasks, old.id);
      await repos.tasks.addFace(claim, face(old.id, 0));
      await repos.tasks.complete(claim, { width: 1, height: 1 });
      const unfinished = await repos.tasks.create(newTask());
      const ids = await repos.tasks.expire(Date.now() + 1000);
      expect(ids).toContain(old.id);
      expect(ids).not.toContain(unfinished.id);
      expect((await repos.tasks.get(old.id))?.expiredAt).toEqual(expect.any(Number));
      expect(await repos.tasks.faces(old.id)).toEqual([]);
      expect(await repos.tasks.expire(Date.now() + 1000)).not.toContain(old.id);
    });

    it("deletes a result for its uploader's token hash only, and remembers that it was deleted", async () => {
      const task = await repos.tasks.create(newTask({ owner: "web" }));
      await repos.tasks.setDeleteToken(task.id, "someone-else", "ffff");
      expect(await repos.tasks.deletable(task.id, "web")).toEqual({
        status: "queued",
        deleteTokenHash: null,
      });
      await repos.tasks.setDeleteToken(task.id, "web", "abcd");
      const claim = await claimed(repos.tasks, task.id);
      await repos.tasks.addFace(claim, face(task.id, 0));
      await repos.tasks.complete(claim, { width: 1, height: 1 });
      expect(await repos.tasks.deletable(task.id, "web")).toEqual({
        status: "complete",
        deleteTokenHash: "abcd",
      });
      expect(await repos.tasks.deletable(task.id, "someone-else")).toBeUndefined();
      expect(await repos.tasks.wasDeleted(task.id)).toBe(false);
      await repos.tasks.remove(task.id);
      expect(await repos.tasks.get(task.id)).toBeUndefined();
      expect(await repos.tasks.faces(task.id)).toEqual([]);
      expect(await repos.tasks.wasDeleted(task.id)).toBe(true);
    });

    it("hands an upload slot to exactly one PUT and keeps a slot a live task reads", async () => {
      const id = randomUUID().replaceAll("-", "");
      const filePath = `api-assets/${id}/input.jpg`;
      await repos.uploads.create({
        id,
        filePath,
        kind: "image",
        extension: "jpg",
        expiresAt: Date.now() + 60_000,
        owner: "key-owner",
      });
      expect(await repos.uploads.get(id)).toMatchObject({
        id,
        filePath,
        state: "pending",
        size: null,
        owner: "key-owner",
      });
      expect((await repos.uploads.byFilePath(filePath))?.id).toBe(id);
      const racers = await Promise.all([
        repos.uploads.claim(id),
        repos.uploads.claim(id),
        repos.uploads.claim(id),
      ]);
      expect(racers.filter(Boolean)).toHaveLength(1);
      await repos.uploads.release(id);
      expect(await repos.uploads.claim(id)).toBe(true);
      await repos.uploads.markUploaded(id, 12345);
      expect(await repos.uploads.get(id)).toMatchObject({ state: "uploaded", size: 12345 });
      expect(await repos.uploads.claim(id)).toBe(false);

      await repos.tasks.create(newTask({ inputKey: filePath, source: filePath }));
      expect(await repos.uploads.expire(Date.now() + 1000)).not.toContain(id);
    });

    it("makes a shared secret once and returns the same one every time", async () => {
      const first = await repos.settings.secret("upload_signing_key");
      expect(first).toHaveLength(32);
      expect((await repos.settings.secret("upload_signing_key")).equals(first)).toBe(true);
      expect((await repos.settings.secret("another")).equals(first)).toBe(false);
    });
  });
}
