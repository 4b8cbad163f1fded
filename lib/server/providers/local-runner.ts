import "server-only";
import { readFile } from "node:fs/promises";
import { DetectionRefusedError } from "../../engine/detect-faces";
import type { FaceEmbedder } from "../../engine/face-embedding";
import { aboveConfidence, type FaceEngine, type ImageDetection } from "../../engine/face-engine";
import type { FaceWithCrop } from "../../engine/types";
import { DEFAULT_VIDEO_OPTIONS, detectVideo, type VideoPerson } from "../../engine/video/detect-video";
import { posterJpeg } from "../../engine/video/ffmpeg";
import { ALL_EXTENSIONS, type MediaKind } from "../../media/media-types";
import { extensionFromContent } from "../../media/sniff-media";
import type { FileStorage } from "../file-storage";
import { downloadRemoteFile } from "../remote-file";
import type { TaskRecord, TaskStore } from "../task-store";
import { storePreview } from "./preview";

export interface LocalRunnerDeps {
  tasks: TaskStore;
  storage: FileStorage;
  engine: FaceEngine;
  embedder: FaceEmbedder;
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
  maxVideoSeconds: number;
  /** A photo's detection is stopped after this long and its task fails with the reason. */
  maxDetectionMs: number;
  maxVideoProcessingSeconds: number;
  maxPixels: number;
}

/**
 * A task on this server's engine: fetch its input if it is a URL, detect, store each crop and record each face as
 * it is written (the status response shows faces as they arrive), then the preview and share card.
 */
export function localRunner(deps: LocalRunnerDeps): (task: TaskRecord) => Promise<void> {
  const { tasks, storage, engine } = deps;
  return async (task) => {
    const inputKey = task.inputKey ?? (await download(task.id, task.source, task.kind, deps));
    if (task.kind === "video") return runVideo(task, inputKey, deps);
    const bytes = await readFile(storage.pathFor(inputKey));
    const signal = AbortSignal.timeout(deps.maxDetectionMs);
    let result: ImageDetection;
    try {
      result = await engine.detectImage(bytes, { preview: true, signal });
    } catch (error) {
      const reason = refusalReason(error, signal, deps.maxDetectionMs);
      if (!reason) throw error;
      tasks.fail(task.id, reason);
      return;
    }
    // Faces the client asked for come first and are numbered 0..n-1 left to right, as Magic Hour numbers them;
    // weaker candidates follow, kept for clients that lower the threshold later.
    const chosen = aboveConfidence(result.faces, task.confidence);
    const weaker = result.faces.filter((face) => face.score < task.confidence);
    const ordered: FaceWithCrop[] = [...chosen, ...weaker];
    for (const [index, face] of ordered.entries()) {
      const path = `api-assets/${task.id}/0-${index}.png`;
      await storage.write(path, face.crop);
      tasks.addFace(task.id, {
        frame: 0,
        index,
        path,
        score: face.score,
        box: face.box,
        landmarks: face.landmarks,
      });
    }
    if (result.preview) {
      await storePreview(storage, task.id, result.preview);
    }
    tasks.complete(task.id, { width: result.width, height: result.height });
  };
}

/** Why the engine stopped, in words for the person who sent the photo; null for anything unexpected. */
export function refusalReason(error: unknown, signal: AbortSignal, budgetMs: number): string | null {
  if (error instanceof DetectionRefusedError) return error.message;
  if (signal.aborted && error === signal.reason)
    return `Face detection took longer than the ${budgetMs / 1000} s this server allows for one photo`;
  return null;
}

async function download(
  taskId: string,
  url: string,
  kind: MediaKind,
  deps: LocalRunnerDeps,
): Promise<string> {
  const { storage, tasks } = deps;
  const temp = await storage.tempFile(`api-assets/${taskId}/download.bin`);
  let key: string;
  try {
    const { extension } = await downloadRemoteFile(url, temp, {
      allowedExtensions: ALL_EXTENSIONS,
      maxBytes: deps.maxDownloadBytes,
      timeoutMs: deps.downloadTimeoutMs,
      // Named .mp4 says nothing: the bytes must be the task's kind of media, and name the stored extension.
      sniff: (head) => extensionFromContent(head, kind),
    });
    key = `api-assets/${taskId}/input.${extension}`;
    await storage.commit(temp, key);
  } catch (error) {
    await storage.discard(temp);
    throw error;
  }
  tasks.setInput(taskId, key);
  return key;
}

/**
 * A video: people are recorded as they are confirmed (and their crop replaced when a better shot of them turns up),
 * progress as frames are analysed, so a client polling the task sees people arrive.
 */
async function runVideo(task: TaskRecord, inputKey: string, deps: LocalRunnerDeps): Promise<void> {
  const { tasks, storage } = deps;
  const file = storage.pathFor(inputKey);
  let lastProgress = 0;
  const result = await detectVideo(
    file,
    { engine: deps.engine, embedder: deps.embedder },
    {
      ...DEFAULT_VIDEO_OPTIONS,
      maxDurationSeconds: deps.maxVideoSeconds,
      maxProcessingSeconds: deps.maxVideoProcessingSeconds,
      maxPixels: deps.maxPixels,
      confidence: task.confidence,
      onProgress: (fraction) => {
        // A database write per whole percent is plenty for a progress bar.
        if (fraction - lastProgress >= 0.01) {
          lastProgress = fraction;
          tasks.setProgress(task.id, fraction);
        }
      },
      onPerson: (person) => recordPerson(task.id, person, deps),
    },
  );
  // Final boxes are in the video's own pixels; the best shots may have changed since they were first reported.
  for (const person of result.persons) await recordPerson(task.id, person, deps);
  const poster = await posterJpeg(file, result.persons[0]?.time ?? 0);
  await storePreview(storage, task.id, poster);
  tasks.complete(task.id, { width: result.width, height: result.height, duration: result.duration });
}

async function recordPerson(taskId: string, person: VideoPerson, deps: LocalRunnerDeps): Promise<void> {
  const path = `api-assets/${taskId}/${person.frame}-${person.index}.png`;
  await deps.storage.write(path, person.crop);
  deps.tasks.replaceFace(taskId, {
    frame: person.frame,
    index: person.index,
    path,
    score: person.score,
    box: person.box,
    landmarks: person.landmarks,
    time: person.time,
    appearances: person.appearances,
  });
}
