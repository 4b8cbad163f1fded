import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isTerminal } from "../../../api/detection-view";
import { ApiError } from "../../api-error";
import type { ServerContext } from "../../context";
import { ID_PATTERN } from "../../ids";
import { WEB_OWNER } from "./detections";

const hash = (token: string) => createHash("sha256").update(token).digest();

/**
 * A web result can be deleted by whoever uploaded it: the upload's answer carries a random token, the browser keeps
 * it, and the server stores only its SHA-256, so neither the database nor a share link can be used to delete.
 */
export async function issueDeleteToken(ctx: ServerContext, id: string): Promise<string> {
  const token = randomBytes(24).toString("base64url");
  await ctx.tasks.setDeleteToken(id, WEB_OWNER, hash(token).toString("hex"));
  return token;
}

/**
 * Remove a result for good: its files (upload, preview, crops), its faces and its task row. A tombstone keeps the
 * id so that its share link says the result was deleted. A detection still running can't be deleted yet (its
 * runner would write files again), so that is a 409 the browser can retry.
 */
export async function deleteDetection(ctx: ServerContext, id: string, token: string): Promise<void> {
  const row = ID_PATTERN.test(id) ? await ctx.tasks.deletable(id, WEB_OWNER) : undefined;
  if (!row) throw new ApiError(404, "Not Found");
  const stored = row.deleteTokenHash ? Buffer.from(row.deleteTokenHash, "hex") : null;
  const given = hash(token);
  if (!stored || stored.length !== given.length || !timingSafeEqual(stored, given)) {
    throw new ApiError(403, "Only the browser that uploaded this result can delete it");
  }
  if (!isTerminal(row.status)) {
    throw new ApiError(409, "This result is still being made; delete it when it is done");
  }
  await ctx.tasks.remove(id);
  await ctx.blobs.deleteAll(id);
}

export async function wasDeleted(ctx: ServerContext, id: string): Promise<boolean> {
  if (!ID_PATTERN.test(id)) return false;
  return ctx.tasks.wasDeleted(id);
}
