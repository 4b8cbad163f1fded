import { readFile } from "node:fs/promises";
import { aboveConfidence, type FaceEngine } from "../engine/face-engine";
import { ImageDecodeError } from "../engine/image/decode-image";
import type { FaceWithCrop } from "../engine/types";
import type { FileStorage } from "./file-storage";
import { ALL_EXTENSIONS } from "./media";
import { downloadRemoteFile, RemoteFileError } from "./remote-file";
import { shareCard } from "./share-card";
import type { TaskStore } from "./task-store";

export interface RunnerDeps {
  tasks: TaskStore;
  storage: FileStorage;
  engine: FaceEngine;
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
}

/** Errors whose message is written for the client; anything else is logged and reported generically. */
function clientMessage(error: unknown): string {
  if (error instanceof ImageDecodeError || error instanceof RemoteFileError) return error.message;
  return "Face detection failed";
}

/**
 * Run one task: fetch its input if it is a URL, detect, store each crop and record each face as it is written
 * (the status response shows faces as they arrive), then mark it complete. Every failure ends the task in `error`
 * with a reason; nothing is left `rendering`.
 */
export function detectionRunner(deps: RunnerDeps): (taskId: string) => Promise<void> {
  const { tasks, storage, engine } = deps;
  return async (taskId) => {
    const task = tasks.get(taskId);
    if (task?.status !== "queued") return;
    tasks.markRendering(taskId);
    try {
      const inputKey = task.inputKey ?? (await download(taskId, task.source, deps));
      const result = await engine.detectImage(await readFile(storage.pathFor(inputKey)), { preview: true });
      // Faces the client asked for come first and are numbered 0..n-1 left to right, as Magic Hour numbers them;
      // weaker candidates follow, kept for clients that lower the threshold later.
      const chosen = aboveConfidence(result.faces, task.confidence);
      const weaker = result.faces.filter((face) => face.score < task.confidence);
      const ordered: FaceWithCrop[] = [...chosen, ...weaker];
      for (const [index, face] of ordered.entries()) {
        const path = `api-assets/${taskId}/0-${index}.png`;
        await storage.write(path, face.crop);
        tasks.addFace(taskId, {
          frame: 0,
          index,
          path,
          score: face.score,
          box: face.box,
          landmarks: face.landmarks,
        });
      }
      if (result.preview) {
        await storage.write(`api-assets/${taskId}/preview.jpg`, result.preview);
        await storage.write(
          `api-assets/${taskId}/share.jpg`,
          await shareCard(
            chosen.map((f) => f.crop),
            result.preview,
          ),
        );
      }
      tasks.complete(taskId, { width: result.width, height: result.height });
    } catch (error) {
      if (!(error instanceof ImageDecodeError || error instanceof RemoteFileError)) {
        console.error(`[detect] task ${taskId} failed:`, error);
      }
      tasks.fail(taskId, clientMessage(error));
    }
  };
}

async function download(taskId: string, url: string, deps: RunnerDeps): Promise<string> {
  const { storage, tasks } = deps;
  const staging = `api-assets/${taskId}/download.bin`;
  const temp = await storage.tempFile(staging);
  const { extension } = await downloadRemoteFile(url, temp, {
    allowedExtensions: ALL_EXTENSIONS,
    maxBytes: deps.maxDownloadBytes,
    timeoutMs: deps.downloadTimeoutMs,
  });
  const key = `api-assets/${taskId}/input.${extension}`;
  await storage.commit(temp, key);
  tasks.setInput(taskId, key);
  return key;
}
