import "server-only";
import { randomBytes } from "node:crypto";

/** 128 random bits, URL-safe: task and upload ids double as capabilities for their files, so they must not be guessable. */
export function newId(): string {
  return randomBytes(16).toString("base64url");
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
