import "server-only";
import { createWriteStream } from "node:fs";
import { access, rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FileStorage } from "../file-storage";
import { type BlobStore, checkKey } from "./blob-store";

/**
 * The embedded store: files under DATA_DIR/files, through today's FileStorage (write to a temporary file beside the
 * final place, then rename, so readers never see half a file).
 */
export function localBlobStore(storage: FileStorage): BlobStore {
  return {
    async put(key, body) {
      checkKey(key);
      const temp = await storage.tempFile(key);
      try {
        await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(temp));
        const { size } = await stat(temp);
        await storage.commit(temp, key);
        return { size };
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
    async get(key, range) {
      const found = await storage.open(key, range);
      return found ? { stream: found.stream, size: found.size } : null;
    },
    async head(key) {
      const info = await stat(storage.pathFor(checkKey(key))).catch(() => null);
      return info?.isFile() ? { size: info.size } : null;
    },
    async delete(key) {
      await storage.remove(checkKey(key));
    },
    async deleteAll(id) {
      await storage.removeAll(id);
    },
    async clientUrl() {
      return null;
    },
    async localCopy(key) {
      // Already on this host's disk: no copy to make or remove.
      const file = storage.pathFor(checkKey(key));
      await access(file);
      return { path: file, release: async () => {} };
    },
    removeStale(olderThanMs) {
      return storage.removeStale(Date.now() - olderThanMs);
    },
    async check() {},
  };
}
