import "server-only";

/**
 * PostgreSQL schema migrations, applied in order; `schema_migrations` records which ran. Append, never edit: a
 * database in the field has run the old text. Times are milliseconds since the epoch (BIGINT), as in SQLite, so
 * both repositories hand the same numbers to the same code.
 */
export const POSTGRES_MIGRATIONS: string[] = [
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
    expires_at BIGINT NOT NULL,
    size BIGINT,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX uploads_by_age ON uploads (created_at);
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'rendering', 'complete', 'error')),
    source TEXT NOT NULL,
    input_key TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
    provider TEXT NOT NULL CHECK (provider IN ('local', 'magic-hour')),
    remote_id TEXT,
    confidence DOUBLE PRECISION NOT NULL,
    width INTEGER,
    height INTEGER,
    duration DOUBLE PRECISION,
    progress DOUBLE PRECISION,
    error TEXT,
    -- Runs: which attempt holds the task, the token that fences its writes, and until when (database clock).
    attempt INTEGER NOT NULL DEFAULT 0,
    lease_token TEXT,
    lease_until BIGINT,
    worker TEXT,
    -- Rendering, but no worker holds it: a remote provider is working and a delayed job will look again.
    parked BOOLEAN NOT NULL DEFAULT FALSE,
    expired_at BIGINT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
  );
  CREATE INDEX tasks_by_status ON tasks (status, created_at);
  CREATE INDEX tasks_by_age ON tasks (expired_at, created_at);
  CREATE INDEX tasks_by_input ON tasks (input_key);
  CREATE TABLE faces (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    path TEXT NOT NULL,
    score DOUBLE PRECISION,
    box JSONB,
    landmarks JSONB NOT NULL DEFAULT '[]',
    extra JSONB,
    PRIMARY KEY (task_id, frame, idx)
  );
  `,
  // Delete from the web app (as SQLite's migration 5): the hash of the uploader's token, and a tombstone per deleted
  // task so that a shared link can say "deleted" rather than "not found".
  `
  ALTER TABLE tasks ADD COLUMN delete_token_hash TEXT;
  CREATE TABLE deleted_tasks (
    id TEXT PRIMARY KEY,
    deleted_at BIGINT NOT NULL
  );
  `,
  // Hostile network (as SQLite's migration 6): an upload belongs to the API key that asked for its URL (NULL: made
  // before this migration), and a rerun finds an identical live task by its source.
  `
  ALTER TABLE uploads ADD COLUMN owner TEXT;
  CREATE INDEX tasks_by_source ON tasks (source, owner);
  `,
];
