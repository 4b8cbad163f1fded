import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { unauthorized } from "./api-error";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Check `Authorization: Bearer <key>` against the configured keys and return the key's owner id (a hash: the key
 * itself is never stored). With no keys configured the API is closed.
 */
export function authenticate(request: Request, apiKeys: readonly string[]): string {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthorized();
  const offered = digest(match[1]);
  // Compare digests in constant time, against every key, so timing says nothing about which key came close.
  let owner: string | null = null;
  for (const key of apiKeys) {
    if (timingSafeEqual(offered, digest(key))) owner = offered.toString("hex").slice(0, 32);
  }
  if (!owner) throw unauthorized();
  return owner;
}
