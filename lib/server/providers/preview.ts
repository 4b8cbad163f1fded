import "server-only";
import type { FileStorage } from "../file-storage";

/** Where a task's result-page picture (a photo's preview, a video's poster) lives, beside its faces. */
export function previewKey(taskId: string): string {
  return `api-assets/${taskId}/preview.jpg`;
}

/** Stores the result page's picture; the share card is drawn from it later (share-card.ts). */
export async function storePreview(storage: FileStorage, taskId: string, preview: Buffer): Promise<void> {
  await storage.write(previewKey(taskId), preview);
}
