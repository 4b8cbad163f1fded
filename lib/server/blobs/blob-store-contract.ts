import "server-only";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "./blob-store";

/** What every blob store does, on local disk or in a bucket: the same tests run against both. */
export function describeBlobStoreContract(
  name: string,
  open: () => Promise<{ store: BlobStore; close(): Promise<void> }>,
) {
  describe(`${name}: the blob store contract`, () => {
    let store: BlobStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
    });
    afterAll(async () => {
      await close?.();
    });

    const id = () => randomBytes(8).toString("hex");

    it("stores a buffer and reads it back whole, in ranges, and by head", async () => {
      const key = `api-assets/${id()}/0-0.png`;
      expect(await store.put(key, Buffer.from("hello, faces"), { contentType: "image/png" })).toEqual({
        size: 12,
      });
      const whole = await store.get(key);
      expect(whole?.size).toBe(12);
      expect(await text(whole?.stream as Readable)).toBe("hello, faces");
      const part = await store.get(key, { start: 7, end: 11 });
      expect(part?.size).toBe(12);
      expect(await text(part?.stream as Readable)).toBe("faces");
      expect(await store.head(key)).toEqual({ size: 12 });
    });

    it("answers null for what isn't there, and refuses keys outside api-assets", async () => {
      expect(await store.get(`api-assets/${id()}/0-0.png`)).toBeNull();
      expect(await store.head(`api-assets/${id()}/0-0.png`)).toBeNull();
      await expect(store.put("../etc/passwd", Buffer.from("x"))).rejects.toThrow("Invalid storage key");
      await expect(store.put("api-assets/a/../b.png", Buffer.from("x"))).rejects.toThrow(
        "Invalid storage key",
      );
      await expect(store.deleteAll("../x")).rejects.toThrow("Invalid id");
    });

    it("stores a stream larger than one part, byte for byte", async () => {
      const key = `api-assets/${id()}/input.bin`;
      const chunks = Array.from({ length: 20 }, (_, i) => randomBytes(1024 * 1024 + i));
      const expected = Buffer.concat(chunks);
      expect(await store.put(key, Readable.from(chunks))).toEqual({ size: expected.length });
      const copy = await store.localCopy(key);
      expect((await readFile(copy.path)).equals(expected)).toBe(true);
      await copy.release();
      expect(await store.head(key)).toEqual({ size: expected.length });
    });

    it("keeps nothing of a stream that fails part-way", async () => {
      const key = `api-assets/${id()}/input.bin`;
      async function* cutOff() {
        yield randomBytes(9 * 1024 * 1024); // past one part: a multipart upload has begun
        yield randomBytes(4 * 1024 * 1024);
        throw new Error("client hung up");
      }
      await expect(store.put(key, Readable.from(cutOff()))).rejects.toThrow();
      expect(await store.head(key)).toBeNull();
    });

    it("deletes one object, or everything under an id", async () => {
      const task = id();
      const keys = [0, 1, 2].map((i) => `api-assets/${task}/0-${i}.png`);
      const other = `api-assets/${id()}/0-0.png`;
      for (const key of [...keys, other]) await store.put(key, Buffer.from(key));
      await store.delete(keys[0] as string);
      expect(await store.head(keys[0] as string)).toBeNull();
      expect(await store.head(keys[1] as string)).not.toBeNull();
      await store.deleteAll(task);
      for (const key of keys) expect(await store.head(key)).toBeNull();
      expect(await store.head(other)).not.toBeNull();
      await store.delete(`api-assets/${id()}/gone.png`);
    });

    it("makes a local copy for tools that need a path", async () => {
      const key = `api-assets/${id()}/input.mp4`;
      await store.put(key, Buffer.from("not really a video"));
      const copy = await store.localCopy(key);
      expect(await readFile(copy.path, "utf8")).toBe("not really a video");
      await copy.release();
      await expect(store.localCopy(`api-assets/${id()}/missing.mp4`)).rejects.toThrow();
    });
  });
}
