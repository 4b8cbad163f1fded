import "server-only";
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/**
 * Schema migrations, applied in order; PRAGMA user_version records how many ran. Append, never edit: a database in
 * the field has run the old text.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    file_path TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
    extension TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'uploading', 'uploaded')),
    expires_at INTEGER NOT NULL,
    size INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'rendering', 'complete', 'error')),
    source TEXT NOT NULL,
    input_key TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
    confidence REAL NOT NULL,
    width INTEGER,
    height INTEGER,
    error TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER
  );
  CREATE INDEX tasks_by_status ON tasks (status, created_at);
  CREATE TABLE faces (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    path TEXT NOT NULL,
    score REAL NOT NULL,
    box TEXT NOT NULL,
    landmarks TEXT NOT NULL,
    PRIMARY KEY (task_id, frame, idx)
  );
  `,
  // Magic Hour as a provider: tasks remember which provider runs them and the upstream task id (so a restart polls
  // the existing upstream task instead of creating another); its faces come without score, box or landmarks.
  `
  ALTER TABLE tasks ADD COLUMN provider TEXT NOT NULL DEFAULT 'local' CHECK (provider IN ('local', 'magic-hour'));
  ALTER TABLE tasks ADD COLUMN remote_id TEXT;
  CREATE TABLE faces_v2 (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    path TEXT NOT NULL,
    score REAL,
    box TEXT,
    landmarks TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (task_id, frame, idx)
  );
  INSERT INTO faces_v2 SELECT task_id, frame, idx, path, score, box, landmarks FROM faces;
  DROP TABLE faces;
  ALTER TABLE faces_v2 RENAME TO faces;
  `,
  // Video: a running task's progress, the video's length, and per face (per person) when they appear.
  `
  ALTER TABLE tasks ADD COLUMN progress REAL;
  ALTER TABLE tasks ADD COLUMN duration REAL;
  ALTER TABLE faces ADD COLUMN extra TEXT;
  `,
  // Retention: an expired task keeps its row (so a shared link can say it expired) but loses its files and faces.
  `
  ALTER TABLE tasks ADD COLUMN expired_at INTEGER;
  CREATE INDEX tasks_by_age ON tasks (expired_at, created_at);
  CREATE INDEX uploads_by_age ON uploads (created_at);
  `,
  // Delete from the web app: the hash of the token handed to the browser that uploaded, and a tombstone per deleted
  // task (its row, faces and files are gone) so that a shared link can say "deleted" rather than "not found".
  `
  ALTER TABLE tasks ADD COLUMN delete_token_hash TEXT;
  CREATE TABLE deleted_tasks (
    id TEXT PRIMARY KEY,
    deleted_at INTEGER NOT NULL
  );
  `,
  // Task attempts: how many times a task was started, so a task that keeps taking the server down (or filling its
  // disk) is failed at start-up instead of being run again forever.
  `
  ALTER TABLE tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  `,
  // Hostile network: an upload belongs to the API key that asked for its URL (NULL: made before this migration),
  // and a rerun finds an identical live task by its source.
  `
  ALTER TABLE uploads ADD COLUMN owner TEXT;
  CREATE INDEX tasks_by_source ON tasks (source, owner);
  `,
];

export function openDatabase(file: string): Db {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets status reads go on while a detection writes its faces; NORMAL sync is durable across process crashes.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const applied = db.pragma("user_version", { simple: true }) as number;
  for (let version = applied; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
