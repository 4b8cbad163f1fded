import "server-only";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import type { FaceEmbedder } from "../../engine/face-embedding";
import { aboveConfidence, type FaceEngine, type ImageDetection } from "../../engine/face-engine";
import type { FaceWithCrop } from "../../engine/types";
import { DEFAULT_VIDEO_OPTIONS, detectVideo, type VideoPerson } from "../../engine/video/detect-video";
import { posterJpeg } from "../../engine/video/ffmpeg";
import { ALL_EXTENSIONS } from "../../media/media-types";
import { extensionFromContent } from "../../media/sniff-media";
import type { BlobStore } from "../blobs/blob-store";
import type { ClaimedRun } from "../jobs/claimed-run";
import { downloadRemoteFile } from "../remote-file";
import type { Claim, TaskRepository } from "../repository/task-repository";
import { isStorageFull } from "../storage-full";
import type { TaskRecord } from "../task-store";
import { refusalReason } from "./local-runner";
import { previewKey } from "./preview";

export interface ClaimedLocalRunnerDeps {
  tasks: TaskRepository;
  blobs: BlobStore;
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
 * The local engine's run on the seams (a worker process of a scale-out deployment): the input comes from the blob
 * store, crops go back to it, and every write to the task carries the claim, so a run whose lease was taken over
 * (its worker was presumed dead) can't write a face twice or complete a task another attempt now owns. The crop keys
 * are the face's own, so a second attempt overwrites the first attempt's crops rather than adding to them. A run
 * that meets a full disk or database removes the crops and preview it wrote before it gives up, which is often what
 * frees the room to record its failure.
 */
export function claimedLocalRunner(deps: ClaimedLocalRunnerDeps): ClaimedRun {
  return async (claim, task, signal) => {
    const written: string[] = [];
    try {
      return await runTask(claim, task, signal, deps, written);
    } catch (error) {
      if (isStorageFull(error)) {
        for (const key of written) {
          await deps.blobs.delete(key).catch(() => {}); // what can't go now, retention removes with the task
        }
      }
      throw error;
    }
  };
}

async function runTask(
  claim: Claim,
  task: TaskRecord,
  signal: AbortSignal,
  deps: ClaimedLocalRunnerDeps,
  written: string[],
): Promise<undefined> {
  const { tasks, blobs, engine } = deps;
  const inputKey = task.inputKey ?? (await download(claim, task, deps));
  if (task.kind === "video") {
    await runVideo(claim, task, inputKey, deps, signal, written);
    return undefined;
  }
  const input = await blobs.get(inputKey);
  if (!input) throw new Error(`Task ${task.id}: its input ${inputKey} is missing from storage`);
  const bytes = await buffer(input.stream);
  const budget = AbortSignal.timeout(deps.maxDetectionMs);
  let result: ImageDetection;
  try {
    // Stopped by the time budget, or as soon as the claim is lost (another attempt owns the task).
    result = await engine.detectImage(bytes, { preview: true, signal: AbortSignal.any([budget, signal]) });
  } catch (error) {
    const reason = signal.aborted ? null : refusalReason(error, budget, deps.maxDetectionMs);
    if (!reason) throw error;
    await tasks.fail(claim, reason);
    return undefined;
  }
  signal.throwIfAborted();
  // Numbered as the embedded local runner numbers them: the faces asked for first, left to right, then the rest.
  const chosen = aboveConfidence(result.faces, task.confidence);
  const weaker = result.faces.filter((face) => face.score < task.confidence);
  const ordered: FaceWithCrop[] = [...chosen, ...weaker];
  for (const [index, face] of ordered.entries()) {
    const key = `api-assets/${task.id}/0-${index}.png`;
    await blobs.put(key, face.crop, { contentType: "image/png" });
    written.push(key);
    await tasks.addFace(claim, {
      frame: 0,
      index,
      path: key,
      score: face.score,
      box: face.box,
      landmarks: face.landmarks,
    });
  }
  if (result.preview) {
    await blobs.put(previewKey(task.id), result.preview, { contentType: "image/jpeg" });
    written.push(previewKey(task.id));
  }
  await tasks.complete(claim, { width: result.width, height: result.height });
  return undefined;
}

async function download(claim: Claim, task: TaskRecord, deps: ClaimedLocalRunnerDeps): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "facefinder-download-"));
  try {
    const file = path.join(dir, "download.bin");
    const { extension } = await downloadRemoteFile(task.source, file, {
      allowedExtensions: ALL_EXTENSIONS,
      maxBytes: deps.maxDownloadBytes,
      timeoutMs: deps.downloadTimeoutMs,
      // Named .mp4 says nothing: the bytes must be the task's kind of media, and name the stored extension.
      sniff: (head) => extensionFromContent(head, task.kind),
    });
    const key = `api-assets/${claim.taskId}/input.${extension}`;
    await deps.blobs.put(key, createReadStream(file));
    await deps.tasks.setInput(claim, key);
    return key;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runVideo(
  claim: Claim,
  task: TaskRecord,
  inputKey: string,
  deps: ClaimedLocalRunnerDeps,
  signal: AbortSignal,
  written: string[],
): Promise<void> {
  const { tasks, blobs } = deps;
  // ffmpeg reads a path: a local copy of the object (the file itself on local disk).
  const copy = await blobs.localCopy(inputKey);
  try {
    let lastProgress = 0;
    // Progress comes from a synchronous callback: its writes are chained so they land in order, and the first one
    // refused (a lost lease) is rethrown once detection returns; a person's write is awaited by the detector itself.
    let progress: Promise<void> = Promise.resolve();
    let refused: unknown;
    const result = await detectVideo(
      copy.path,
      { engine: deps.engine, embedder: deps.embedder },
      {
        ...DEFAULT_VIDEO_OPTIONS,
        maxDurationSeconds: deps.maxVideoSeconds,
        maxProcessingSeconds: deps.maxVideoProcessingSeconds,
        maxPixels: deps.maxPixels,
        confidence: task.confidence,
        onProgress: (fraction) => {
          if (fraction - lastProgress < 0.01 || refused) return;
          lastProgress = fraction;
          progress = progress
            .then(() => tasks.setProgress(claim, fraction))
            .catch((error) => {
              refused ??= error;
            });
        },
        onPerson: (person) => {
          signal.throwIfAborted();
          return recordPerson(claim, person, deps, written);
        },
      },
    );
    await progress;
    if (refused) throw refused;
    for (const person of result.persons) await recordPerson(claim, person, deps, written);
    const poster = await posterJpeg(copy.path, result.persons[0]?.time ?? 0);
    await blobs.put(previewKey(task.id), poster, { contentType: "image/jpeg" });
    written.push(previewKey(task.id));
    await tasks.complete(claim, { width: result.width, height: result.height, duration: result.duration });
  } finally {
    await copy.release();
  }
}

async function recordPerson(
  claim: Claim,
  person: VideoPerson,
  deps: ClaimedLocalRunnerDeps,
  written: string[],
): Promise<void> {
  const key = `api-assets/${claim.taskId}/${person.frame}-${person.index}.png`;
  await deps.blobs.put(key, person.crop, { contentType: "image/png" });
  if (!written.includes(key)) written.push(key);
  await deps.tasks.replaceFace(claim, {
    frame: person.frame,
    index: person.index,
    path: key,
    score: person.score,
    box: person.box,
    landmarks: person.landmarks,
    time: person.time,
    appearances: person.appearances,
  });
}
