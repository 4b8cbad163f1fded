import "server-only";
import type { MediaKind } from "../media/media-types";
import type { Db } from "./database";

export type UploadState = "pending" | "uploading" | "uploaded";

export interface UploadRecord {
  id: string;
  /** Magic Hour's file_path, which the client passes back as target_file_path. */
  filePath: string;
  kind: MediaKind;
  extension: string;
  state: UploadState;
  expiresAt: number;
  size: number | null;
  /** The API key (owner id) that asked for this upload URL; null for uploads made before owners were recorded. */
  owner: string | null;
}

/** Upload slots handed out by /v1/files/upload-urls and filled by one PUT each. */
export interface UploadStore {
  create(upload: Omit<UploadRecord, "state" | "size">): void;
  get(id: string): UploadRecord | undefined;
  byFilePath(filePath: string): UploadRecord | undefined;
  /** Claim a pending slot for one PUT; false if it is taken or filled. Atomic, so two racing PUTs can't both win. */
  claim(id: string): boolean;
  release(id: string): void;
  markUploaded(id: string, size: number): void;
  /** At start-up: a PUT the last process was receiving when it died will never finish; its slot is free again. */
  resetInterrupted(): number;
  /** Forget uploads created before `cutoff` that no live task uses; returns their ids, whose files can go. */
  expire(cutoff: number): string[];
}

interface UploadRow {
  id: string;
  file_path: string;
  kind: MediaKind;
  extension: string;
  state: UploadState;
  expires_at: number;
  size: number | null;
  owner: string | null;
}

const toUpload = (row: UploadRow): UploadRecord => ({
  id: row.id,
  filePath: row.file_path,
  kind: row.kind,
  extension: row.extension,
  state: row.state,
  expiresAt: row.expires_at,
  size: row.size,
  owner: row.owner,
});

export function sqliteUploadStore(db: Db, now: () => number = Date.now): UploadStore {
  const insert = db.prepare(
    `INSERT INTO uploads (id, file_path, kind, extension, state, expires_at, created_at, owner)
     VALUES (@id, @filePath, @kind, @extension, 'pending', @expiresAt, @createdAt, @owner)`,
  );
  const byId = db.prepare<[string], UploadRow>("SELECT * FROM uploads WHERE id = ?");
  const byPath = db.prepare<[string], UploadRow>("SELECT * FROM uploads WHERE file_path = ?");
  const claim = db.prepare("UPDATE uploads SET state = 'uploading' WHERE id = ? AND state = 'pending'");
  const release = db.prepare("UPDATE uploads SET state = 'pending' WHERE id = ? AND state = 'uploading'");
  const uploaded = db.prepare("UPDATE uploads SET state = 'uploaded', size = ? WHERE id = ?");
  const resetUploading = db.prepare("UPDATE uploads SET state = 'pending' WHERE state = 'uploading'");
  const selectOld = db.prepare<[number], { id: string }>(
    `SELECT id FROM uploads u WHERE created_at < ? AND NOT EXISTS (
       SELECT 1 FROM tasks t WHERE t.input_key = u.file_path AND t.expired_at IS NULL AND t.status IN ('queued', 'rendering'))`,
  );
  const remove = db.prepare("DELETE FROM uploads WHERE id = ?");
  return {
    create(upload) {
      insert.run({ ...upload, createdAt: now() });
    },
    get(id) {
      const row = byId.get(id);
      return row ? toUpload(row) : undefined;
    },
    byFilePath(filePath) {
      const row = byPath.get(filePath);
      return row ? toUpload(row) : undefined;
    },
    claim: (id) => claim.run(id).changes === 1,
    release(id) {
      release.run(id);
    },
    markUploaded(id, size) {
      uploaded.run(size, id);
    },
    resetInterrupted: () => resetUploading.run().changes,
    expire: db.transaction((cutoff: number) => {
      const ids = selectOld.all(cutoff).map((row) => row.id);
      for (const id of ids) remove.run(id);
      return ids;
    }),
  };
}
