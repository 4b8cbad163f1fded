import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servicesReady } from "../../../../test/support/scale-out-services";
import { ApiError } from "../../api-error";
import type { BlobStore } from "../../blobs/blob-store";
import { localBlobStore } from "../../blobs/local-blob-store";
import { s3BlobStore } from "../../blobs/s3-blob-store";
import { parseDeployment } from "../../deployment";
import { localFileStorage } from "../../file-storage";
import { serveAsset } from "./assets";

const id = "a".repeat(32);
const bytes = randomBytes(5000);

async function status(response: Promise<Response>): Promise<number> {
  try {
    return (await response).status;
  } catch (error) {
    if (error instanceof ApiError) return error.status;
    throw error;
  }
}

/** The same answers from local disk and from the bucket: /api-assets/… is served alike by any web instance. */
function describeAssets(name: string, open: () => Promise<BlobStore>) {
  describe(`serveAsset on ${name}`, () => {
    let blobs: BlobStore;
    beforeAll(async () => {
      blobs = await open();
      await blobs.put(`api-assets/${id}/0-0.png`, bytes, { contentType: "image/png" });
    });
    afterAll(async () => {
      await blobs?.deleteAll(id);
    });

    it("serves a crop whole, cached for a year", async () => {
      const response = await serveAsset(blobs, id, "0-0.png", "GET");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(response.headers.get("content-length")).toBe("5000");
      expect(response.headers.get("cache-control")).toContain("immutable");
      expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    });

    it("answers byte ranges (206, or 416 beyond the end) and HEAD without a body", async () => {
      const part = await serveAsset(blobs, id, "0-0.png", "GET", "bytes=100-199");
      expect(part.status).toBe(206);
      expect(part.headers.get("content-range")).toBe("bytes 100-199/5000");
      expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(100, 200));
      const tail = await serveAsset(blobs, id, "0-0.png", "GET", "bytes=-10");
      expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(4990));
      expect((await serveAsset(blobs, id, "0-0.png", "GET", "bytes=6000-")).status).toBe(416);
      const head = await serveAsset(blobs, id, "0-0.png", "HEAD");
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe("5000");
      expect(head.body).toBeNull();
    });

    it("is 404 for what is missing or is no asset name", async () => {
      expect(await status(serveAsset(blobs, id, "0-1.png", "GET"))).toBe(404);
      expect(await status(serveAsset(blobs, id, "..%2F0-0.png", "GET"))).toBe(404);
      expect(await status(serveAsset(blobs, "../etc", "passwd", "GET"))).toBe(404);
    });
  });
}

describeAssets("local disk", async () =>
  localBlobStore(localFileStorage(mkdtempSync(path.join(os.tmpdir(), "facefinder-assets-")))),
);

if (servicesReady("Assets from the S3 bucket", "S3_BUCKET")) {
  describeAssets("the S3 bucket", async () => {
    const setting = parseDeployment({
      ...process.env,
      PROCESS_ROLE: "all",
      DATABASE_URL: "",
      REDIS_URL: "",
    }).blobs;
    if (setting.kind !== "s3") throw new Error("S3_BUCKET is not set");
    return s3BlobStore(setting);
  });
}
