import "server-only";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { BlobSetting } from "../deployment";
import { type BlobStore, checkId, checkKey } from "./blob-store";

export type S3Setting = Extract<BlobSetting, { kind: "s3" }>;

/** Below this a stream is buffered and sent in one PUT; above it lib-storage sends parts (S3's minimum is 5 MiB). */
const PART_BYTES = 8 * 1024 * 1024;

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 404 || error.name === "NoSuchKey" || error.name === "NotFound")
  );
}

/**
 * Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, Swift's s3api), created if missing. Small objects (crops,
 * previews) go in one PUT; streams of unknown length (uploads, downloads) go through lib-storage's multipart upload,
 * which is aborted when the stream fails, so nothing partial is ever visible.
 */
export async function s3BlobStore(setting: S3Setting): Promise<BlobStore & { client: S3Client }> {
  // The pinned SDK release supports Node 20; its start-up warning is about releases after it. Said once, in the docs.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const client = new S3Client({
    endpoint: setting.endpoint,
    region: setting.region,
    credentials: setting.credentials,
    forcePathStyle: setting.forcePathStyle,
    // Newer SDKs add CRC checksums to every request by default; S3-compatible stores don't all accept them.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = setting.bucket;
  await ensureBucket(client, Bucket);

  const store: BlobStore & { client: S3Client } = {
    client,

    async put(key, body, options = {}) {
      checkKey(key);
      const ContentType = options.contentType;
      if (Buffer.isBuffer(body)) {
        await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType }));
        return { size: body.length };
      }
      let size = 0;
      const counted = body.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            size += chunk.length;
            done(null, chunk);
          },
        }),
      );
      // pipe() doesn't forward errors: a failed source must fail the upload, not end it early as if complete.
      body.once("error", (error) => counted.destroy(error));
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: counted, ContentType },
        partSize: PART_BYTES,
        queueSize: 2,
        leavePartsOnError: false,
      });
      await upload.done();
      return { size };
    },

    async get(key, range) {
      checkKey(key);
      try {
        const response = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: key,
            Range: range ? `bytes=${range.start}-${range.end}` : undefined,
          }),
        );
        // A ranged answer's Content-Range ends with the whole object's size.
        const total = response.ContentRange?.match(/\/(\d+)$/)?.[1];
        const size = total ? Number(total) : (response.ContentLength ?? 0);
        return { stream: response.Body as Readable, size };
      } catch (error) {
        if (isMissing(error) || (error instanceof S3ServiceException && error.name === "InvalidRange"))
          return null;
        throw error;
      }
    },

    async head(key) {
      checkKey(key);
      try {
        const response = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: response.ContentLength ?? 0 };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: checkKey(key) }));
    },

    async deleteAll(id) {
      const Prefix = `api-assets/${checkId(id)}/`;
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken }));
        // One DELETE per object: a task has tens of files, and the batch call needs a Content-MD5 header that this
        // SDK no longer sends (it sends CRC32), which some S3-compatible stores (Swift) insist on.
        const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
        for (let i = 0; i < keys.length; i += 16) {
          await Promise.all(
            keys.slice(i, i + 16).map((Key) => client.send(new DeleteObjectCommand({ Bucket, Key }))),
          );
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },

    clientUrl(key, ttlSeconds) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: checkKey(key) }), {
        expiresIn: ttlSeconds,
      });
    },

    async localCopy(key) {
      const found = await store.get(key);
      if (!found) throw Object.assign(new Error(`No object at ${key}`), { code: "ENOENT" });
      const file = path.join(os.tmpdir(), `facefinder-${randomBytes(8).toString("hex")}${path.extname(key)}`);
      try {
        await pipeline(found.stream, createWriteStream(file, { mode: 0o600 }));
      } catch (error) {
        await rm(file, { force: true });
        throw error;
      }
      return { path: file, release: () => rm(file, { force: true }) };
    },

    async removeStale(olderThanMs) {
      // A writer that died mid-upload leaves a multipart upload whose parts take space until it is aborted.
      let removed = 0;
      const cutoff = Date.now() - olderThanMs;
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      do {
        const page = await client.send(
          new ListMultipartUploadsCommand({ Bucket, KeyMarker, UploadIdMarker }),
        );
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId || (upload.Initiated?.getTime() ?? 0) > cutoff) continue;
          await client.send(
            new AbortMultipartUploadCommand({ Bucket, Key: upload.Key, UploadId: upload.UploadId }),
          );
          removed++;
        }
        KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (KeyMarker);
      return removed;
    },

    async check() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },
  };
  return store;
}

async function ensureBucket(client: S3Client, Bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket }));
    return;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket }));
  } catch (error) {
    // Another process starting at the same time made it first.
    const name = error instanceof S3ServiceException ? error.name : "";
    if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
  }
}
