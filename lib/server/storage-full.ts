import "server-only";

/**
 * Errors that mean "no room to write": the disk (ENOSPC), a quota (EDQUOT), SQLite's database or journal
 * (SQLITE_FULL) or PostgreSQL's (SQLSTATE 53100, disk_full). They are the server's condition, not the request's
 * fault, and they pass when space is freed.
 */
const FULL_CODES = new Set(["ENOSPC", "EDQUOT", "SQLITE_FULL", "53100"]);

export function isStorageFull(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && FULL_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export const STORAGE_FULL_MESSAGE = "The server is short of storage space; try again later";

/** A task's run that met a full disk or database: what its user reads. */
export const RAN_OUT_OF_STORAGE_MESSAGE = "The server ran out of storage space while working on this file";
