import "server-only";
import type { TaskStatus } from "../api/detection-view";
import type { Box, Point } from "../engine/types";
import type { MediaKind } from "../media/media-types";
import type { Db } from "./database";

export type ProviderName = "local" | "magic-hour";

export interface TaskRecord {
  id: string;
  /** Hash of the API key that created it: tasks are visible to their owner only. */
  owner: string;
  status: TaskStatus;
  /** What the client gave as target_file_path: an uploaded file path or a URL. */
  source: string;
  /** Storage key of the input file once it is on disk. */
  inputKey: string | null;
  kind: MediaKind;
  /** Which engine runs it: this server's own, or Magic Hour's API. */
  provider: ProviderName;
  /** The provider's own task id, once the task exists there. */
  remoteId: string | null;
  confidence: number;
  width: number | null;
  height: number | null;
  /** Videos: length in seconds, and how far detection has got (0..1) while it runs. */
  duration: number | null;
  progress: number | null;
  error: string | null;
  /** How many times it was started (a restart runs an interrupted task again, up to a limit). */
  attempts: number;
  /** Set when retention removed its files: the task is gone but can say so. */
  expiredAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface FaceRecord {
  frame: number;
  index: number;
  /** Magic Hour's `path`: api-assets/<task id>/<frame>-<index>.png */
  path: string;
  /** Magic Hour reports faces without score or box: null then. */
  score: number | null;
  box: Box | null;
  landmarks: Point[];
  /** Videos: the best shot's time, and the time ranges in which this person is on screen. */
  time?: number;
  appearances?: Array<{ start: number; end: number }>;
}

export type NewTask = Pick<
  TaskRecord,
  "id" | "owner" | "source" | "inputKey" | "kind" | "confidence" | "provider"
>;

/** Where tasks and their faces live. SQLite today; a server database would implement the same interface. */
export interface TaskStore {
  create(task: NewTask): TaskRecord;
  get(id: string): TaskRecord | undefined;
  /** A live task (not expired, not failed) of this owner on this source at this confidence: a rerun's twin. */
  findSame(owner: string, source: string, confidence: number, provider: ProviderName): string | undefined;
  /** Faces at or above a score (and faces without one), in frame then index order. */
  faces(id: string, minScore?: number): FaceRecord[];
  /** Start a queued task (and count the attempt); false if it was not queued. */
  markRendering(id: string): boolean;
  setInput(id: string, inputKey: string): void;
  setRemoteId(id: string, remoteId: string): void;
  addFace(id: string, face: FaceRecord): void;
  /** Put a face in place of the one with the same index (a video person whose best shot changed). */
  replaceFace(id: string, face: FaceRecord): void;
  setProgress(id: string, fraction: number): void;
  complete(id: string, size: { width: number; height: number; duration?: number }): void;
  /** End a task in error; the faces it had recorded go (their files are removed by the caller). */
  fail(id: string, message: string): void;
  /**
   * After a restart: tasks that were rendering go back to the queue, unless they were already started
   * `maxAttempts` times (then they end in error: running them again would do what stopped the server again), and
   * all queued ids in arrival order.
   */
  recoverQueued(maxAttempts: number): { queued: string[]; failed: string[] };
  /** Mark finished tasks created before `cutoff` as expired, drop their faces, and return their ids. */
  expire(cutoff: number): string[];
}

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
  attempts: number;
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
  box: string | null;
  landmarks: string;
  extra: string | null;
}

function toTask(row: TaskRow): TaskRecord {
  return {
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
    attempts: row.attempts,
    expiredAt: row.expired_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export function sqliteTaskStore(db: Db, now: () => number = Date.now): TaskStore {
  // Statements are prepared once: status polling is the hot path.
  const insert = db.prepare(
    `INSERT INTO tasks (id, owner, status, source, input_key, kind, provider, confidence, created_at)
     VALUES (@id, @owner, 'queued', @source, @inputKey, @kind, @provider, @confidence, @createdAt)`,
  );
  const selectTask = db.prepare<[string], TaskRow>("SELECT * FROM tasks WHERE id = ?");
  const selectSame = db.prepare<[string, string, number, string], { id: string }>(
    `SELECT id FROM tasks WHERE source = ? AND owner = ? AND confidence = ? AND provider = ?
     AND expired_at IS NULL AND status != 'error' ORDER BY created_at DESC LIMIT 1`,
  );
  const selectFaces = db.prepare<[string, number], FaceRow>(
    `SELECT frame, idx, path, score, box, landmarks, extra FROM faces
     WHERE task_id = ? AND (score IS NULL OR score >= ?) ORDER BY frame, idx`,
  );
  const updateRendering = db.prepare(
    "UPDATE tasks SET status = 'rendering', started_at = ?, attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
  );
  const updateInput = db.prepare("UPDATE tasks SET input_key = ? WHERE id = ?");
  const updateRemoteId = db.prepare("UPDATE tasks SET remote_id = ? WHERE id = ?");
  const insertFace = db.prepare(
    `INSERT OR REPLACE INTO faces (task_id, frame, idx, path, score, box, landmarks, extra)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const deleteFaceIndex = db.prepare("DELETE FROM faces WHERE task_id = ? AND idx = ?");
  const updateProgress = db.prepare("UPDATE tasks SET progress = ? WHERE id = ?");
  const updateComplete = db.prepare(
    "UPDATE tasks SET status = 'complete', width = ?, height = ?, duration = ?, progress = 1, finished_at = ? WHERE id = ?",
  );
  const updateError = db.prepare(
    "UPDATE tasks SET status = 'error', error = ?, finished_at = ? WHERE id = ?",
  );
  const selectInterrupted = db.prepare<[number], { id: string }>(
    "SELECT id FROM tasks WHERE status = 'rendering' AND attempts >= ?",
  );
  const requeue = db.prepare(
    "UPDATE tasks SET status = 'queued', started_at = NULL WHERE status = 'rendering'",
  );
  const clearFaces = db.prepare(
    "DELETE FROM faces WHERE task_id IN (SELECT id FROM tasks WHERE status = 'queued')",
  );
  const selectExpiring = db.prepare<[number], { id: string }>(
    "SELECT id FROM tasks WHERE expired_at IS NULL AND created_at < ? AND status IN ('complete', 'error')",
  );
  const deleteFaces = db.prepare("DELETE FROM faces WHERE task_id = ?");
  const markExpired = db.prepare("UPDATE tasks SET expired_at = ? WHERE id = ?");
  const selectQueued = db.prepare<[], { id: string }>(
    "SELECT id FROM tasks WHERE status = 'queued' ORDER BY created_at, rowid",
  );

  return {
    create(task) {
      insert.run({ ...task, createdAt: now() });
      return toTask(selectTask.get(task.id) as TaskRow);
    },
    findSame: (owner, source, confidence, provider) =>
      selectSame.get(source, owner, confidence, provider)?.id,
    get(id) {
      const row = selectTask.get(id);
      return row ? toTask(row) : undefined;
    },
    faces(id, minScore = 0) {
      return selectFaces.all(id, minScore).map((row) => ({
        frame: row.frame,
        index: row.idx,
        path: row.path,
        score: row.score,
        box: row.box === null ? null : (JSON.parse(row.box) as Box),
        landmarks: JSON.parse(row.landmarks) as Point[],
        ...(row.extra ? (JSON.parse(row.extra) as Pick<FaceRecord, "time" | "appearances">) : {}),
      }));
    },
    markRendering(id) {
      return updateRendering.run(now(), id).changes === 1;
    },
    setInput(id, inputKey) {
      updateInput.run(inputKey, id);
    },
    setRemoteId(id, remoteId) {
      updateRemoteId.run(remoteId, id);
    },
    addFace(id, face) {
      insertFace.run(...faceColumns(id, face));
    },
    replaceFace: db.transaction((id: string, face: FaceRecord) => {
      deleteFaceIndex.run(id, face.index);
      insertFace.run(...faceColumns(id, face));
    }),
    setProgress(id, fraction) {
      updateProgress.run(fraction, id);
    },
    complete(id, size) {
      updateComplete.run(size.width, size.height, size.duration ?? null, now(), id);
    },
    fail: db.transaction((id: string, message: string) => {
      deleteFaces.run(id);
      updateError.run(message, now(), id);
    }),
    expire: db.transaction((cutoff: number) => {
      const ids = selectExpiring.all(cutoff).map((row) => row.id);
      for (const id of ids) {
        deleteFaces.run(id);
        markExpired.run(now(), id);
      }
      return ids;
    }),
    recoverQueued: db.transaction((maxAttempts: number) => {
      const failed = selectInterrupted.all(maxAttempts).map((row) => row.id);
      for (const id of failed) {
        deleteFaces.run(id);
        updateError.run(
          `The server stopped while working on this file ${maxAttempts === 1 ? "once" : `${maxAttempts} times`}; it was not tried again`,
          now(),
          id,
        );
      }
      requeue.run();
      // A task interrupted half-way may have written some faces; it starts over from a clean slate.
      clearFaces.run();
      return { queued: selectQueued.all().map((row) => row.id), failed };
    }),
  };
}

function faceColumns(taskId: string, face: FaceRecord) {
  return [
    taskId,
    face.frame,
    face.index,
    face.path,
    face.score,
    face.box === null ? null : JSON.stringify(face.box),
    JSON.stringify(face.landmarks),
    face.appearances ? JSON.stringify({ time: face.time, appearances: face.appearances }) : null,
  ] as const;
}
