import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../database";
import { sqliteTaskStore } from "../task-store";
import { sqliteUploadStore } from "../upload-store";
import { claimed, describeRepositoryContract, face, newTask } from "./repository-contract";
import { sqliteSharedSettings, sqliteTaskRepository, sqliteUploadRepository } from "./sqlite-repositories";

function openSqlite(file: string) {
  const db = openDatabase(file);
  return {
    db,
    tasks: sqliteTaskRepository(sqliteTaskStore(db), db),
    uploads: sqliteUploadRepository(sqliteUploadStore(db)),
    settings: sqliteSharedSettings(db),
    async close() {
      db.close();
    },
  };
}

function tempFile() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "facefinder-repo-"));
  return {
    file: path.join(dir, "facefinder.sqlite"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describeRepositoryContract("SQLite", async () => {
  const { file, remove } = tempFile();
  const repos = openSqlite(file);
  return {
    ...repos,
    async close() {
      await repos.close();
      remove();
    },
  };
});

describe("SQLite repository across a restart", () => {
  it("hands the tasks a dead process held back to the queue, from a clean slate, on the first sweep", async () => {
    const { file, remove } = tempFile();
    try {
      const before = openSqlite(file);
      const queued = await before.tasks.create(newTask());
      const interrupted = await before.tasks.create(newTask());
      const claim = await claimed(before.tasks, interrupted.id);
      await before.tasks.addFace(claim, face(interrupted.id, 0));
      await before.close();

      const after = openSqlite(file);
      expect(await after.tasks.stranded(100)).toEqual([queued.id, interrupted.id]);
      expect(await after.tasks.get(interrupted.id)).toMatchObject({ status: "queued" });
      expect(await after.tasks.faces(interrupted.id)).toEqual([]);
      await expect(after.tasks.addFace(claim, face(interrupted.id, 1))).rejects.toThrow("no longer holds it");
      expect((await claimed(after.tasks, interrupted.id)).attempt).toBe(1);
      await after.close();
    } finally {
      remove();
    }
  });
});
