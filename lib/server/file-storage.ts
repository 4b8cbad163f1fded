import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Where uploaded inputs and face crops live, addressed by keys such as `api-assets/<id>/0-0.png`. Local disk today;
 * object storage would implement the same interface.
 */
export interface FileStorage {
  /** Absolute path for a new file under this key, for writers that stream (uploads, downloads). */
  pathFor(key: string): string;
  /** A fresh temporary path beside the key's final place: write there, then `commit`, so readers never see half a
   * file. */
  tempFile(key: string): Promise<string>;
  commit(tempPath: string, key: string): Promise<void>;
  write(key: string, bytes: Buffer): Promise<void>;
  open(
    key: string,
    range?: { start: number; end: number },
  ): Promise<{ stream: ReadStream; size: number } | null>;
  remove(key: string): Promise<void>;
  /** Delete everything stored under api-assets/<id>/. */
  removeAll(id: string): Promise<void>;
  /** Delete temporary files left by writers that never finished (a crash), older than `olderThanMs`. */
  removeStaleTemp(olderThanMs: number): Promise<number>;
}

/** Keys are a few plain segments; anything else (dots, slashes, empty parts) is refused before touching disk. */
const KEY = /^api-assets(\/[A-Za-z0-9_-]{1,64}){1,2}(\/[A-Za-z0-9_-]{1,64}\.[a-z0-9]{1,5})$/;

export function isValidKey(key: string): boolean {
  return KEY.test(key);
}

export function localFileStorage(root: string): FileStorage {
  const resolve = (key: string) => {
    if (!isValidKey(key)) throw new Error(`Invalid storage key: ${key}`);
    return path.join(root, key);
  };
  let counter = 0;
  return {
    pathFor: resolve,
    async tempFile(key) {
      const target = resolve(key);
      await mkdir(path.dirname(target), { recursive: true });
      return `${target}.${process.pid}.${Date.now()}.${counter++}.part`;
    },
    async commit(tempPath, key) {
      const target = resolve(key);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tempPath, target);
    },
    async write(key, bytes) {
      const temp = await this.tempFile(key);
      await writeFile(temp, bytes);
      await rename(temp, resolve(key));
    },
    async open(key, range) {
      if (!isValidKey(key)) return null;
      const file = resolve(key);
      try {
        const info = await stat(file);
        if (!info.isFile()) return null;
        return { stream: createReadStream(file, range), size: info.size };
      } catch {
        return null;
      }
    },
    async remove(key) {
      await rm(resolve(key), { force: true });
    },
    async removeAll(id) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Error(`Invalid id: ${id}`);
      await rm(path.join(root, "api-assets", id), { recursive: true, force: true });
    },
    async removeStaleTemp(olderThanMs) {
      let removed = 0;
      const base = path.join(root, "api-assets");
      const dirs = await readdir(base).catch(() => [] as string[]);
      for (const dir of dirs) {
        const files = await readdir(path.join(base, dir)).catch(() => [] as string[]);
        for (const file of files.filter((f) => f.endsWith(".part"))) {
          const full = path.join(base, dir, file);
          const info = await stat(full).catch(() => null);
          if (info && Date.now() - info.mtimeMs > olderThanMs) {
            await rm(full, { force: true });
            removed++;
          }
        }
      }
      return removed;
    },
  };
}
