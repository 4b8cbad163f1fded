import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import type { TaskStatus } from "../../api/detection-view";
import type { Db } from "../database";
import type { TaskStore } from "../task-store";
import type { UploadStore } from "../upload-store";
import {
  type Claim,
  exhaustedMessage,
  LeaseLostError,
  type SharedSettings,
  type TaskRepository,
  type UploadRepository,
} from "./task-repository";

/**
 * The embedded repositories: the SQLite stores behind the async interfaces. One process owns the database, so the
 * claims live in memory: a claim can only be lost to the process itself (a task re-claimed after it was parked or
 * released), and a crash loses all of them at once, which the start-up recovery (the first `stranded` call) undoes.
 */
export function sqliteTaskRepository(store: TaskStore, db: Db): TaskRepository {
  const claims = new Map<string, Claim & { parked: boolean }>();
  const attempts = new Map<string, number>();
  const requeue = db.prepare(
    "UPDATE tasks SET status = 'queued', started_at = NULL WHERE id = ? AND status = 'rendering'",
  );
  const unfinished = db.prepare<[number], { id: string }>(
    "SELECT id FROM tasks WHERE status IN ('queued', 'rendering') ORDER BY created_at, rowid LIMIT ?",
  );
  const setDeleteToken = db.prepare("UPDATE tasks SET delete_token_hash = ? WHERE id = ? AND owner = ?");
  const selectDeletable = db.prepare<
    [string, string],
    { status: TaskStatus; delete_token_hash: string | null }
  >("SELECT status, delete_token_hash FROM tasks WHERE id = ? AND owner = ?");
  const removeTask = db.transaction((id: string, at: number) => {
    db.prepare("DELETE FROM faces WHERE task_id = ?").run(id);
    db.prepare("DELETE FROM tasks WHERE id = ?").run(id);
    db.prepare("INSERT OR REPLACE INTO deleted_tasks (id, deleted_at) VALUES (?, ?)").run(id, at);
  });
  const selectDeleted = db.prepare("SELECT 1 FROM deleted_tasks WHERE id = ?");
  let recovered = false;

  function check(claim: Claim): void {
    const held = claims.get(claim.taskId);
    if (!held || held.token !== claim.token || held.parked) throw new LeaseLostError(claim);
  }
  function end(claim: Claim): void {
    claims.delete(claim.taskId);
    attempts.delete(claim.taskId);
  }

  return {
    async create(task) {
      return store.create(task);
    },
    async get(id) {
      return store.get(id);
    },
    async findSame(owner, source, confidence, provider) {
      return store.findSame(owner, source, confidence, provider);
    },
    async faces(id, minScore) {
      return store.faces(id, minScore);
    },

    async claim(id, options) {
      const task = store.get(id);
      if (!task) return { claimed: false, reason: "missing" };
      if (task.status === "complete" || task.status === "error")
        return { claimed: false, reason: "finished" };
      const held = claims.get(id);
      // One process: a live claim here is this process's own run, which never lapses while it goes on.
      if (held && !held.parked) return { claimed: false, reason: "held", leaseLeftMs: options.leaseMs };
      const resuming = held?.parked === true;
      const attempt = resuming ? held.attempt : (attempts.get(id) ?? 0) + 1;
      if (attempt > options.maxAttempts) {
        store.fail(id, exhaustedMessage(attempt - 1));
        attempts.delete(id);
        return { claimed: false, reason: "exhausted" };
      }
      store.markRendering(id);
      const claim = { taskId: id, attempt, token: randomUUID() };
      claims.set(id, { ...claim, parked: false });
      attempts.set(id, attempt);
      return { claimed: true, claim, task: store.get(id) ?? task };
    },
    async renew(claim) {
      check(claim);
    },

    async setInput(claim, inputKey) {
      check(claim);
      store.setInput(claim.taskId, inputKey);
    },
    async setRemoteId(claim, remoteId) {
      check(claim);
      store.setRemoteId(claim.taskId, remoteId);
    },
    async setProgress(claim, fraction) {
      check(claim);
      store.setProgress(claim.taskId, fraction);
    },
    async addFace(claim, face) {
      check(claim);
      store.addFace(claim.taskId, face);
    },
    async replaceFace(claim, face) {
      check(claim);
      store.replaceFace(claim.taskId, face);
    },
    async complete(claim, size) {
      check(claim);
      store.complete(claim.taskId, size);
      end(claim);
    },
    async fail(claim, message) {
      check(claim);
      store.fail(claim.taskId, message);
      end(claim);
    },
    async park(claim) {
      check(claim);
      claims.set(claim.taskId, { ...claim, parked: true });
    },
    async release(claim) {
      check(claim);
      requeue.run(claim.taskId);
      claims.delete(claim.taskId);
      attempts.set(claim.taskId, claim.attempt - 1);
    },
    async abandon(id, message) {
      const task = store.get(id);
      if (task?.status !== "queued" && task?.status !== "rendering") return false;
      store.fail(id, message);
      claims.delete(id);
      attempts.delete(id);
      return true;
    },

    async stranded(limit) {
      if (!recovered) {
        // The first call is this process's start: whatever was rendering belonged to a process that is gone.
        recovered = true;
        // Attempts are this repository's own (claim's maxAttempts), so the store's start-up limit is not applied.
        return store.recoverQueued(Number.MAX_SAFE_INTEGER).queued.slice(0, limit);
      }
      return unfinished
        .all(limit)
        .map((row) => row.id)
        .filter((id) => !claims.has(id));
    },
    async expire(cutoff) {
      return store.expire(cutoff);
    },

    async setDeleteToken(id, owner, tokenHash) {
      setDeleteToken.run(tokenHash, id, owner);
    },
    async deletable(id, owner) {
      const row = selectDeletable.get(id, owner);
      return row ? { status: row.status, deleteTokenHash: row.delete_token_hash } : undefined;
    },
    async remove(id) {
      removeTask(id, Date.now());
    },
    async wasDeleted(id) {
      return selectDeleted.get(id) !== undefined;
    },
  };
}

export function sqliteUploadRepository(store: UploadStore): UploadRepository {
  return {
    async create(upload) {
      store.create(upload);
    },
    async get(id) {
      return store.get(id);
    },
    async byFilePath(filePath) {
      return store.byFilePath(filePath);
    },
    async claim(id) {
      return store.claim(id);
    },
    async release(id) {
      store.release(id);
    },
    async markUploaded(id, size) {
      store.markUploaded(id, size);
    },
    async expire(cutoff) {
      return store.expire(cutoff);
    },
  };
}

export function sqliteSharedSettings(db: Db): SharedSettings {
  const insert = db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)");
  const select = db.prepare<[string], { value: string }>("SELECT value FROM settings WHERE key = ?");
  return {
    async secret(name) {
      insert.run(name, randomBytes(32).toString("base64"));
      return Buffer.from(select.get(name)?.value ?? "", "base64");
    },
  };
}
