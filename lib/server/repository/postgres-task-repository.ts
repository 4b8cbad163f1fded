import "server-only";
import { randomUUID } from "node:crypto";
import type { TaskStatus } from "../../api/detection-view";
import type { Box, Point } from "../../engine/types";
import type { MediaKind } from "../../media/media-types";
import type { FaceRecord, ProviderName, TaskRecord } from "../task-store";
import { DB_NOW_MS, type PgClient, type PgPool, transaction } from "./postgres";
import { type Claim, exhaustedMessage, LeaseLostError, type TaskRepository } from "./task-repository";

interface TaskRow {
  id: string;
  owner: string;
  status: TaskStatus;
  source: string;
  input_key: string | null;
  kind: MediaKind;
  provider: ProviderName;
  remote_id: string | null;
  confidence: number;
  width: number | null;
  height: number | null;
  duration: number | null;
  progress: number | null;
  error: string | null;
  attempt: number;
  expired_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

interface FaceRow {
  frame: number;
  idx: number;
  path: string;
  score: number | null;
  box: Box | null;
  landmarks: Point[];
  extra: Pick<FaceRecord, "time" | "appearances"> | null;
}

const toTask = (row: TaskRow): TaskRecord => ({
  id: row.id,
  owner: row.owner,
  status: row.status,
  source: row.source,
  inputKey: row.input_key,
  kind: row.kind,
  provider: row.provider,
  remoteId: row.remote_id,
  confidence: row.confidence,
  width: row.width,
  height: row.height,
  duration: row.duration,
  progress: row.progress,
  error: row.error,
  attempts: row.attempt,
  expiredAt: row.expired_at,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

const TASK_COLUMNS = `id, owner, status, source, input_key, kind, provider, remote_id, confidence, width, height,
  duration, progress, error, attempt, expired_at, created_at, started_at, finished_at`;

/** The claim is current: the task runs under this token. Every write of a run is conditioned on it. */
const CURRENT = "id = $1 AND lease_token = $2 AND status = 'rendering'";

function faceValues(claim: Claim, face: FaceRecord) {
  return [
    claim.taskId,
    claim.token,
    face.frame,
    face.index,
    face.path,
    face.score,
    face.box === null ? null : JSON.stringify(face.box),
    JSON.stringify(face.landmarks),
    face.appearances ? JSON.stringify({ time: face.time, appearances: face.appearances }) : null,
  ];
}

// The task row is locked FOR SHARE while a face goes in, so a new claim (which updates that row, then clears the
// faces) waits for the insert to commit and then removes it, or the insert sees the new token and writes nothing.
const INSERT_FACE = `
  WITH current AS (SELECT id FROM tasks WHERE ${CURRENT} FOR SHARE)
  INSERT INTO faces (task_id, frame, idx, path, score, box, landmarks, extra)
  SELECT id, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb FROM current
  ON CONFLICT (task_id, frame, idx) DO UPDATE
    SET path = excluded.path, score = excluded.score, box = excluded.box, landmarks = excluded.landmarks,
        extra = excluded.extra`;

export function postgresTaskRepository(pool: PgPool, now: () => number = Date.now): TaskRepository {
  /** One fenced UPDATE: refused (LeaseLostError) when the claim is no longer current. */
  async function fenced(
    client: PgPool | PgClient,
    claim: Claim,
    set: string,
    values: unknown[],
  ): Promise<void> {
    const result = await client.query(`UPDATE tasks SET ${set} WHERE ${CURRENT}`, [
      claim.taskId,
      claim.token,
      ...values,
    ]);
    if (result.rowCount === 0) throw new LeaseLostError(claim);
  }

  return {
    async create(task) {
      const { rows } = await pool.query<TaskRow>(
        `INSERT INTO tasks (id, owner, status, source, input_key, kind, provider, confidence, created_at)
         VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8) RETURNING ${TASK_COLUMNS}`,
        [task.id, task.owner, task.source, task.inputKey, task.kind, task.provider, task.confidence, now()],
      );
      return toTask(rows[0] as TaskRow);
    },

    async get(id) {
      const { rows } = await pool.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1`, [id]);
      return rows[0] ? toTask(rows[0]) : undefined;
    },

    async findSame(owner, source, confidence, provider) {
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM tasks WHERE source = $1 AND owner = $2 AND confidence = $3 AND provider = $4
         AND expired_at IS NULL AND status != 'error' ORDER BY created_at DESC LIMIT 1`,
        [source, owner, confidence, provider],
      );
      return rows[0]?.id;
    },

    async faces(id, minScore = 0) {
      const { rows } = await pool.query<FaceRow>(
        `SELECT frame, idx, path, score, box, landmarks, extra FROM faces
         WHERE task_id = $1 AND (score IS NULL OR score >= $2) ORDER BY frame, idx`,
        [id, minScore],
      );
      return rows.map((row) => ({
        frame: row.frame,
        index: row.idx,
        path: row.path,
        score: row.score,
        box: row.box,
        landmarks: row.landmarks,
        ...(row.extra ?? {}),
      }));
    },

    claim(id, options) {
      return transaction(pool, async (client) => {
        const { rows } = await client.query<{
          status: TaskStatus;
          attempt: number;
          parked: boolean;
          lapsed: boolean;
          left: number;
        }>(
          `SELECT status, attempt, parked, coalesce(lease_until < ${DB_NOW_MS}, true) AS lapsed,
             greatest(coalesce(lease_until - ${DB_NOW_MS}, 0), 0) AS left
           FROM tasks WHERE id = $1 FOR UPDATE`,
          [id],
        );
        const row = rows[0];
        if (!row) return { claimed: false, reason: "missing" } as const;
        if (row.status === "complete" || row.status === "error")
          return { claimed: false, reason: "finished" } as const;
        if (row.status === "rendering" && !row.parked && !row.lapsed) {
          return { claimed: false, reason: "held", leaseLeftMs: row.left } as const;
        }
        // Waking a parked task goes on with the same attempt; anything else is a fresh attempt.
        const resuming = row.status === "rendering" && row.parked;
        if (!resuming && row.attempt >= options.maxAttempts) {
          await client.query(
            `UPDATE tasks SET status = 'error', error = $2, finished_at = $3, lease_token = NULL, lease_until = NULL,
               parked = FALSE WHERE id = $1`,
            [id, exhaustedMessage(row.attempt), now()],
          );
          return { claimed: false, reason: "exhausted" } as const;
        }
        const token = randomUUID();
        const attempt = resuming ? row.attempt : row.attempt + 1;
        const updated = await client.query<TaskRow>(
          `UPDATE tasks SET status = 'rendering', attempt = $2, lease_token = $3, worker = $4,
             lease_until = ${DB_NOW_MS} + $5, parked = FALSE, started_at = coalesce(started_at, $6)
           WHERE id = $1 RETURNING ${TASK_COLUMNS}`,
          [id, attempt, token, options.worker, options.leaseMs, now()],
        );
        if (!resuming) {
          // A dead attempt may have written some faces (and progress): the new one starts over.
          await client.query("DELETE FROM faces WHERE task_id = $1", [id]);
          await client.query("UPDATE tasks SET progress = NULL WHERE id = $1", [id]);
        }
        const task = toTask(updated.rows[0] as TaskRow);
        if (!resuming) task.progress = null;
        return { claimed: true, claim: { taskId: id, attempt, token }, task } as const;
      });
    },

    renew(claim, leaseMs) {
      return fenced(pool, claim, `lease_until = ${DB_NOW_MS} + $3`, [leaseMs]);
    },
    setInput(claim, inputKey) {
      return fenced(pool, claim, "input_key = $3", [inputKey]);
    },
    setRemoteId(claim, remoteId) {
      return fenced(pool, claim, "remote_id = $3", [remoteId]);
    },
    setProgress(claim, fraction) {
      return fenced(pool, claim, "progress = $3", [fraction]);
    },

    async addFace(claim, face) {
      const result = await pool.query(INSERT_FACE, faceValues(claim, face));
      if (result.rowCount === 0) throw new LeaseLostError(claim);
    },

    replaceFace(claim, face) {
      return transaction(pool, async (client) => {
        // The task row first, as claim() locks it: the same order everywhere, so the two never deadlock.
        const current = await client.query(`SELECT 1 FROM tasks WHERE ${CURRENT} FOR SHARE`, [
          claim.taskId,
          claim.token,
        ]);
        if (current.rowCount === 0) throw new LeaseLostError(claim);
        await client.query("DELETE FROM faces WHERE task_id = $1 AND idx = $2", [claim.taskId, face.index]);
        await client.query(INSERT_FACE, faceValues(claim, face));
      });
    },

    complete(claim, size) {
      return fenced(
        pool,
        claim,
        `status = 'complete', width = $3, height = $4, duration = $5, progress = 1, finished_at = $6,
         lease_token = NULL, lease_until = NULL`,
        [size.width, size.height, size.duration ?? null, now()],
      );
    },
    fail(claim, message) {
      return fenced(
        pool,
        claim,
        "status = 'error', error = $3, finished_at = $4, lease_token = NULL, lease_until = NULL",
        [message, now()],
      );
    },
    park(claim, forMs) {
      return fenced(pool, claim, `parked = TRUE, worker = NULL, lease_until = ${DB_NOW_MS} + $3`, [
        Math.ceil(forMs),
      ]);
    },
    release(claim) {
      return fenced(
        pool,
        claim,
        "status = 'queued', attempt = attempt - 1, lease_token = NULL, lease_until = NULL, worker = NULL",
        [],
      );
    },

    async abandon(id, message) {
      const result = await pool.query(
        `UPDATE tasks SET status = 'error', error = $2, finished_at = $3, lease_token = NULL, lease_until = NULL,
           parked = FALSE WHERE id = $1 AND status IN ('queued', 'rendering')`,
        [id, message, now()],
      );
      return result.rowCount === 1;
    },

    async stranded(limit) {
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM tasks
         WHERE status = 'queued' OR (status = 'rendering' AND coalesce(lease_until < ${DB_NOW_MS}, true))
         ORDER BY created_at, id LIMIT $1`,
        [limit],
      );
      return rows.map((row) => row.id);
    },

    expire(cutoff) {
      return transaction(pool, async (client) => {
        const { rows } = await client.query<{ id: string }>(
          `UPDATE tasks SET expired_at = $2
           WHERE expired_at IS NULL AND created_at < $1 AND status IN ('complete', 'error') RETURNING id`,
          [cutoff, now()],
        );
        const ids = rows.map((row) => row.id);
        if (ids.length > 0) await client.query("DELETE FROM faces WHERE task_id = ANY($1)", [ids]);
        return ids;
      });
    },

    async setDeleteToken(id, owner, tokenHash) {
      await pool.query("UPDATE tasks SET delete_token_hash = $3 WHERE id = $1 AND owner = $2", [
        id,
        owner,
        tokenHash,
      ]);
    },
    async deletable(id, owner) {
      const { rows } = await pool.query<{ status: TaskStatus; delete_token_hash: string | null }>(
        "SELECT status, delete_token_hash FROM tasks WHERE id = $1 AND owner = $2",
        [id, owner],
      );
      return rows[0] ? { status: rows[0].status, deleteTokenHash: rows[0].delete_token_hash } : undefined;
    },
    remove(id) {
      return transaction(pool, async (client) => {
        await client.query("DELETE FROM faces WHERE task_id = $1", [id]);
        await client.query("DELETE FROM tasks WHERE id = $1", [id]);
        await client.query(
          `INSERT INTO deleted_tasks (id, deleted_at) VALUES ($1, $2)
           ON CONFLICT (id) DO UPDATE SET deleted_at = excluded.deleted_at`,
          [id, now()],
        );
      });
    },
    async wasDeleted(id) {
      const { rowCount } = await pool.query("SELECT 1 FROM deleted_tasks WHERE id = $1", [id]);
      return rowCount === 1;
    },
  };
}
