import "server-only";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { previewJpeg } from "../../engine/crops";
import { decodeImage } from "../../engine/image/decode-image";
import type { BlobStore } from "../blobs/blob-store";
import type { ClaimedRun } from "../jobs/claimed-run";
import type { MagicHourClient } from "../magic-hour/magic-hour-client";
import { UpstreamError } from "../magic-hour/upstream-error";
import type { Claim, TaskRepository } from "../repository/task-repository";
import type { TaskRecord } from "../task-store";
import { previewKey } from "./preview";

export interface ClaimedMagicHourDeps {
  tasks: TaskRepository;
  blobs: BlobStore;
  magicHour: MagicHourClient;
  maxImagePixels: number;
  /** The first wait between polls, the longest, and when (from the task's first claim) to give up. */
  poll?: { firstMs: number; maxMs: number; deadlineMs: number };
}

const DEFAULT_POLL = { firstMs: 300, maxMs: 5_000, deadlineMs: 15 * 60_000 };
const CROP_NAME = /^(\d+)-(\d+)\.png$/;
const MAX_CROP_BYTES = 20 * 1024 * 1024;

/**
 * A task on Magic Hour, one poll per job: the first run uploads the input and creates the detection upstream (once:
 * the upstream id is written under the claim, and a later run only polls); every run copies the faces that have
 * appeared into the blob store and, unless Magic Hour has finished, asks to be woken again (`againInMs`), so a
 * worker slot is never held while Magic Hour works. The waits grow with the time the task has been running (each
 * about half of it, between `firstMs` and `maxMs`), which needs no state between runs; the deadline counts from the
 * task's first claim.
 */
export function claimedMagicHourRunner(deps: ClaimedMagicHourDeps): ClaimedRun {
  const { tasks, blobs, magicHour } = deps;
  const poll = deps.poll ?? DEFAULT_POLL;
  return async (claim, task) => {
    let remoteId = task.remoteId;
    if (!remoteId) {
      remoteId = await magicHour.createDetection(await uploadTarget(task, blobs, magicHour), task.confidence);
      await tasks.setRemoteId(claim, remoteId);
    }
    const remote = await magicHour.getDetection(remoteId);
    const copied = new Set((await tasks.faces(task.id)).map((face) => face.path));
    for (const [position, face] of remote.faces.entries()) {
      const name = path.posix.basename(new URL(face.url, "http://x").pathname);
      const match = CROP_NAME.exec(name) ?? CROP_NAME.exec(`0-${position}.png`);
      const key = `api-assets/${task.id}/${match?.[0]}`;
      if (copied.has(key)) continue;
      await blobs.put(key, await magicHour.download(face.url, MAX_CROP_BYTES), { contentType: "image/png" });
      await tasks.addFace(claim, {
        frame: Number(match?.[1]),
        index: Number(match?.[2]),
        path: key,
        score: null,
        box: null,
        landmarks: [],
      });
      copied.add(key);
    }
    if (remote.status === "complete") {
      await finishWithPreview(claim, task, deps);
      return undefined;
    }
    if (remote.status === "error")
      throw new UpstreamError("failed", `upstream task ${remoteId} ended in error`);
    const running = Date.now() - (task.startedAt ?? Date.now());
    if (running > poll.deadlineMs)
      throw new UpstreamError("unavailable", `upstream task ${remoteId} timed out`);
    // Whole milliseconds: the wait ends up in an integer column (the task's lease), and half of an odd number isn't one.
    return { againInMs: Math.round(Math.min(poll.maxMs, Math.max(poll.firstMs, running / 2))) };
  };
}

/** Magic Hour's file path for the input: an upload of our copy, or the URL itself (Magic Hour fetches it). */
async function uploadTarget(task: TaskRecord, blobs: BlobStore, magicHour: MagicHourClient): Promise<string> {
  if (!task.inputKey) return task.source;
  const copy = await blobs.localCopy(task.inputKey);
  try {
    return await magicHour.upload(
      copy.path,
      task.inputKey.slice(task.inputKey.lastIndexOf(".") + 1),
      task.kind,
    );
  } finally {
    await copy.release();
  }
}

/** The photo itself for the result page (Magic Hour gives no boxes to draw); the share card is drawn from it. */
async function finishWithPreview(claim: Claim, task: TaskRecord, deps: ClaimedMagicHourDeps): Promise<void> {
  const input = task.inputKey && task.kind === "image" ? await deps.blobs.get(task.inputKey) : null;
  if (!input) {
    await deps.tasks.complete(claim, { width: 0, height: 0 });
    return;
  }
  const image = await decodeImage(await buffer(input.stream), { maxPixels: deps.maxImagePixels });
  await deps.blobs.put(previewKey(task.id), await previewJpeg(image), {
    contentType: "image/jpeg",
  });
  await deps.tasks.complete(claim, { width: image.width, height: image.height });
}
