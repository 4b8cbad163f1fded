import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Upload URLs carry their own capability: an expiry and an HMAC over the upload id and expiry, so the PUT needs no
 * bearer token (Magic Hour's SDK sends none) and can't be forged or extended. The key is the repository's shared
 * secret (made once, kept in the database), so any web instance verifies a URL another one signed.
 */
export interface UploadSigner {
  sign(uploadId: string, expiresAt: number): string;
  verify(uploadId: string, expiresAt: number, signature: string): boolean;
}

/** The shared setting holding the key (the name the embedded database has always kept it under). */
export const UPLOAD_SIGNING_KEY = "upload_signing_key";

export function uploadSigner(key: Buffer): UploadSigner {
  if (key.length < 16) throw new Error("The upload signing key is missing or too short");
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
