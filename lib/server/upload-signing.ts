import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "./database";

/**
 * Upload URLs carry their own capability: an expiry and an HMAC over the upload id and expiry, so the PUT needs no
 * bearer token (Magic Hour's SDK sends none) and can't be forged or extended. The key is made once per data
 * directory and kept in the database.
 */
export interface UploadSigner {
  sign(uploadId: string, expiresAt: number): string;
  verify(uploadId: string, expiresAt: number, signature: string): boolean;
}

export function uploadSigner(db: Db): UploadSigner {
  const key = signingKey(db);
  const mac = (uploadId: string, expiresAt: number) =>
    createHmac("sha256", key).update(`${uploadId}.${expiresAt}`).digest("base64url");
  return {
    sign: mac,
    verify(uploadId, expiresAt, signature) {
      const expected = Buffer.from(mac(uploadId, expiresAt));
      const offered = Buffer.from(signature);
      return offered.length === expected.length && timingSafeEqual(offered, expected);
    },
  };
}

function signingKey(db: Db): Buffer {
  db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES ('upload_signing_key', ?)").run(
    randomBytes(32).toString("base64"),
  );
  const row = db
    .prepare<[], { value: string }>("SELECT value FROM settings WHERE key = 'upload_signing_key'")
    .get();
  return Buffer.from(row?.value ?? "", "base64");
}
