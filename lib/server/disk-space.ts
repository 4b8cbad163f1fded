import "server-only";
import { statfsSync } from "node:fs";
import { ApiError } from "./api-error";
import { STORAGE_FULL_MESSAGE } from "./storage-full";

/**
 * Free space where the data lives. Below the threshold the server stops taking new files (507) instead of filling
 * the disk until SQLite and half-written files fail: reads and running tasks keep the space that is left.
 */
export class DiskSpace {
  constructor(
    private readonly dir: string,
    readonly minFreeBytes: number,
  ) {}

  /** Bytes an unprivileged writer can still use (statfs: a syscall, cheap enough for every upload). */
  freeBytes(): number {
    const stats = statfsSync(this.dir);
    return stats.bavail * stats.bsize;
  }

  /** Whether writing `bytes` more would leave less than the threshold. */
  isShort(bytes = 0): boolean {
    return this.freeBytes() - bytes < this.minFreeBytes;
  }

  /** Refuse new work with 507 while space is short. */
  require(bytes = 0): void {
    if (this.isShort(bytes)) throw new ApiError(507, STORAGE_FULL_MESSAGE);
  }
}
