import "server-only";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
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
  /** Give up on a temporary file: remove it, and its folder if nothing else is in it (a failed or empty upload). */
  discard(tempPath: string): Promise<void>;
  write(key: string, bytes: Buffer): Promise<void>;
  open(
    key: string,
    range?: { start: number; end: number },
  ): Promise<{ stream: ReadStream; size: number } | null>;
  remove(key: string): Promise<void>;
  /** Delete everything stored under api-assets/<id>/. */
  removeAll(id: string): Promise<void>;
  /** Delete what a task wrote under api-assets/<id>/ (crops, previews), keeping its input if it lives there. */
  removeOutputs(id: string, keepKey: string | null): Promise<void>;
  /**
   * Delete temporary files left by writers that never finished (a crash), and the empty api-assets/<id>/ folders
   * that killed or refused uploads leave, untouched since before `before` (ms since the epoch).
   */
  removeStale(before: number): Promise<number>;
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
      try {
        await writeFile(temp, bytes);
        await rename(temp, resolve(key));
      } catch (error) {
        // A full disk leaves a half-written file: it must not outlive the failure.
        await rm(temp, { force: true });
        throw error;
      }
    },
    async discard(tempPath) {
      const dir = path.dirname(tempPath);
      if (path.relative(path.join(root, "api-assets"), dir).includes(path.sep)) return;
      await rm(tempPath, { force: true });
      // rmdir refuses a folder that holds anything, so a folder in use is never touched.
      await rmdir(dir).catch(() => undefined);
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
    async removeOutputs(id, keepKey) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Error(`Invalid id: ${id}`);
      const dir = path.join(root, "api-assets", id);
      const keep = keepKey && isValidKey(keepKey) ? path.join(root, keepKey) : null;
      const files = await readdir(dir).catch(() => [] as string[]);
      for (const file of files) {
        const full = path.join(dir, file);
        if (full !== keep) await rm(full, { recursive: true, force: true });
      }
      if (!keep || !files.some((file) => path.join(dir, file) === keep))
        await rmdir(dir).catch(() => undefined);
    },
    async removeStale(before) {
      let removed = 0;
      const base = path.join(root, "api-assets");
      const dirs = await readdir(base).catch(() => [] as string[]);
      for (const dir of dirs) {
        const folder = path.join(base, dir);
        // The folder's age is read first: removing a stale file inside it makes it look fresh.
        const folderInfo = await stat(folder).catch(() => null);
        const files = await readdir(folder).catch(() => null);
        if (!files || !folderInfo?.isDirectory()) continue;
        for (const file of files.filter((f) => f.endsWith(".part"))) {
          const full = path.join(folder, file);
          const info = await stat(full).catch(() => null);
          if (info && info.mtimeMs < before) {
            await rm(full, { force: true });
            removed++;
          }
        }
        if (folderInfo.mtimeMs < before) {
          // Only an empty folder goes (rmdir refuses any other); one being written to now has a fresh mtime.
          if (
            await rmdir(folder).then(
              () => true,
              () => false,
            )
          )
            removed++;
        }
      }
      return removed;
    },
  };
}
