import "server-only";
import { randomBytes } from "node:crypto";
import type { MediaKind } from "../../media/media-types";
import type { UploadRecord, UploadState } from "../upload-store";
import type { PgPool } from "./postgres";
import type { SharedSettings, UploadRepository } from "./task-repository";

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

const COLUMNS = "id, file_path, kind, extension, state, expires_at, size, owner";

export function postgresUploadRepository(pool: PgPool, now: () => number = Date.now): UploadRepository {
  const one = async (where: string, value: string) => {
    const { rows } = await pool.query<UploadRow>(`SELECT ${COLUMNS} FROM uploads WHERE ${where} = $1`, [
      value,
    ]);
    return rows[0] ? toUpload(rows[0]) : undefined;
  };
  return {
    async create(upload) {
      await pool.query(
        `INSERT INTO uploads (id, file_path, kind, extension, state, expires_at, created_at, owner)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)`,
        [upload.id, upload.filePath, upload.kind, upload.extension, upload.expiresAt, now(), upload.owner],
      );
    },
    get: (id) => one("id", id),
    byFilePath: (filePath) => one("file_path", filePath),
    async claim(id) {
      // One UPDATE with the state in its condition: of two PUTs racing on two web instances, exactly one wins.
      const result = await pool.query(
        "UPDATE uploads SET state = 'uploading' WHERE id = $1 AND state = 'pending'",
        [id],
      );
      return result.rowCount === 1;
    },
    async release(id) {
      await pool.query("UPDATE uploads SET state = 'pending' WHERE id = $1 AND state = 'uploading'", [id]);
    },
    async markUploaded(id, size) {
      await pool.query("UPDATE uploads SET state = 'uploaded', size = $2 WHERE id = $1", [id, size]);
    },
    async expire(cutoff) {
      const { rows } = await pool.query<{ id: string }>(
        `DELETE FROM uploads u WHERE created_at < $1 AND NOT EXISTS (
           SELECT 1 FROM tasks t WHERE t.input_key = u.file_path AND t.expired_at IS NULL
             AND t.status IN ('queued', 'rendering'))
         RETURNING id`,
        [cutoff],
      );
      return rows.map((row) => row.id);
    },
  };
}

export function postgresSharedSettings(pool: PgPool): SharedSettings {
  return {
    async secret(name) {
      // Every process offers a fresh value; the first insert wins and everyone reads that one.
      await pool.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [
        name,
        randomBytes(32).toString("base64"),
      ]);
      const { rows } = await pool.query<{ value: string }>("SELECT value FROM settings WHERE key = $1", [
        name,
      ]);
      return Buffer.from(rows[0]?.value ?? "", "base64");
    },
  };
}
