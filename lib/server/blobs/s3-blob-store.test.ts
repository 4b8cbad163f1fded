import { randomBytes } from "node:crypto";
import { DeleteBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { env, servicesReady } from "../../../test/support/scale-out-services";
import { parseDeployment } from "../deployment";
import { describeBlobStoreContract } from "./blob-store-contract";
import { type S3Setting, s3BlobStore } from "./s3-blob-store";

const ready = servicesReady("S3 blob store", "S3_BUCKET");

/** A bucket of its own per run (made by the store itself: it creates a missing bucket), removed afterwards. */
function setting(): S3Setting {
  const base = parseDeployment({
    ...process.env,
    PROCESS_ROLE: "all",
    DATABASE_URL: "",
    REDIS_URL: "",
  }).blobs;
  if (base.kind !== "s3") throw new Error("S3_BUCKET is not set");
  return { ...base, bucket: `facefinder-test-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}` };
}

async function removeBucket(store: Awaited<ReturnType<typeof s3BlobStore>>, bucket: string) {
  const { ListObjectsV2Command, DeleteObjectCommand } = await import("@aws-sdk/client-s3");
  const listed = await store.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const object of listed.Contents ?? []) {
    await store.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
  }
  await store.removeStale(0);
  await store.client.send(new DeleteBucketCommand({ Bucket: bucket }));
  store.client.destroy();
}

describe.runIf(ready)(`S3 (${env("S3_ENDPOINT") || "AWS"})`, () => {
  describeBlobStoreContract("S3", async () => {
    const s = setting();
    const store = await s3BlobStore(s);
    return { store, close: () => removeBucket(store, s.bucket) };
  });

  describe("S3 specifics", () => {
    // Collected even when the suite is skipped: only read the settings when they are there.
    const s = ready ? setting() : ({ bucket: "" } as S3Setting);
    let store: Awaited<ReturnType<typeof s3BlobStore>> | undefined;
    afterAll(async () => {
      if (store) await removeBucket(store, s.bucket);
    });

    it("creates its bucket when missing, also when several processes start at once", async () => {
      const stores = await Promise.all([s3BlobStore(s), s3BlobStore(s), s3BlobStore(s)]);
      store = stores[0];
      await expect(
        stores[1]?.client.send(new HeadBucketCommand({ Bucket: s.bucket })),
      ).resolves.toBeDefined();
      await store?.check();
      for (const other of stores.slice(1)) other.client.destroy();
    });

    it("hands out a presigned URL that serves the object, and that can't be reused for another", async () => {
      if (!store) throw new Error("no store");
      const key = `api-assets/${randomBytes(8).toString("hex")}/0-0.png`;
      await store.put(key, Buffer.from("a face"), { contentType: "image/png" });
      const url = await store.clientUrl(key, 60);
      expect(url).toMatch(/^https?:\/\//);
      const response = await fetch(url as string);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("a face");
      const other = `api-assets/${randomBytes(8).toString("hex")}/0-1.png`;
      await store.put(other, Buffer.from("another face"));
      const forged = (url as string).replace(key.split("/")[1] as string, other.split("/")[1] as string);
      expect((await fetch(forged)).status).toBe(403);
    });

    it("aborts multipart uploads that a dead writer left behind", async () => {
      if (!store) throw new Error("no store");
      const { CreateMultipartUploadCommand } = await import("@aws-sdk/client-s3");
      const key = `api-assets/${randomBytes(8).toString("hex")}/input.bin`;
      await store.client.send(new CreateMultipartUploadCommand({ Bucket: s.bucket, Key: key }));
      expect(await store.removeStale(60_000)).toBe(0);
      // Some stores (Swift) report the start time rounded up to the second: let it be in the past.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await store.removeStale(0)).toBe(1);
    });
  });
});
