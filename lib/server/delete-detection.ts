import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isTerminal, type TaskStatus } from "../api/detection-view";
import { ApiError } from "./api-error";
import type { ServerContext } from "./context";
import { ID_PATTERN } from "./ids";
import { WEB_OWNER } from "./web-detections";

const hash = (token: string) => createHash("sha256").update(token).digest();

/**
 * A web result can be deleted by whoever uploaded it: the upload's answer carries a random token, the browser keeps
 * it, and the server stores only its SHA-256, so neither the database nor a share link can be used to delete.
 */
export function issueDeleteToken(ctx: ServerContext, id: string): string {
  const token = randomBytes(24).toString("base64url");
  ctx.db
    .prepare("UPDATE tasks SET delete_token_hash = ? WHERE id = ? AND owner = ?")
    .run(hash(token).toString("hex"), id, WEB_OWNER);
  return token;
}

/**
 * Remove a result for good: its files (upload, preview, crops), its faces and its task row. A tombstone keeps the
 * id so that its share link says the result was deleted. A detection still running can't be deleted yet (its
 * runner would write files again), so that is a 409 the browser can retry.
 */
export async function deleteDetection(ctx: ServerContext, id: string, token: string): Promise<void> {
  const row = ID_PATTERN.test(id)
    ? ctx.db
        .prepare<[string, string], { status: TaskStatus; delete_token_hash: string | null }>(
          "SELECT status, delete_token_hash FROM tasks WHERE id = ? AND owner = ?",
        )
        .get(id, WEB_OWNER)
    : undefined;
  if (!row) throw new ApiError(404, "Not Found");
  const stored = row.delete_token_hash ? Buffer.from(row.delete_token_hash, "hex") : null;
  const given = hash(token);
  if (!stored || stored.length !== given.length || !timingSafeEqual(stored, given)) {
    throw new ApiError(403, "Only the browser that uploaded this result can delete it");
  }
  if (!isTerminal(row.status)) {
    throw new ApiError(409, "This result is still being made; delete it when it is done");
  }
  ctx.db.transaction(() => {
    ctx.db.prepare("DELETE FROM faces WHERE task_id = ?").run(id);
    ctx.db.prepare("DELETE FROM tasks WHERE id = ?").run(id);
    ctx.db.prepare("INSERT OR REPLACE INTO deleted_tasks (id, deleted_at) VALUES (?, ?)").run(id, Date.now());
  })();
  await ctx.storage.removeAll(id);
}

export function wasDeleted(ctx: ServerContext, id: string): boolean {
  if (!ID_PATTERN.test(id)) return false;
  return ctx.db.prepare("SELECT 1 FROM deleted_tasks WHERE id = ?").get(id) !== undefined;
}
