import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { previewJpeg } from "../../engine/crops";
import { decodeImage } from "../../engine/image/decode-image";
import type { FileStorage } from "../file-storage";
import type { MagicHourClient } from "../magic-hour/magic-hour-client";
import { UpstreamError } from "../magic-hour/upstream-error";
import type { TaskRecord, TaskStore } from "../task-store";
import { storePreview } from "./preview";

export interface MagicHourRunnerDeps {
  tasks: TaskStore;
  storage: FileStorage;
  magicHour: MagicHourClient;
  maxImagePixels: number;
  /** Polling backoff: first wait, growth factor, longest wait, and when to give up. */
  poll?: { firstMs: number; factor: number; maxMs: number; deadlineMs: number };
}

const DEFAULT_POLL = { firstMs: 300, factor: 1.5, maxMs: 5_000, deadlineMs: 15 * 60_000 };
const CROP_NAME = /^(\d+)-(\d+)\.png$/;
const MAX_CROP_BYTES = 20 * 1024 * 1024;

/**
 * A task on Magic Hour: upload the input there (this server PUTs the bytes; the browser never talks to Magic Hour),
 * create the detection once, then poll with backoff, copying each face into this server's storage as it appears,
 * so result pages keep working after Magic Hour's URLs expire and viewers never cause calls upstream. A task that
 * already has an upstream id (a restart) is polled, not created again.
 */
export function magicHourRunner(deps: MagicHourRunnerDeps): (task: TaskRecord) => Promise<void> {
  const { tasks, storage, magicHour } = deps;
  const poll = deps.poll ?? DEFAULT_POLL;
  return async (task) => {
    let remoteId = task.remoteId;
    if (!remoteId) {
      const target = task.inputKey
        ? await magicHour.upload(storage.pathFor(task.inputKey), extensionOf(task.inputKey), task.kind)
        : task.source; // a URL: Magic Hour fetches it itself
      remoteId = await magicHour.createDetection(target, task.confidence);
      tasks.setRemoteId(task.id, remoteId);
    }
    const copied = new Set(tasks.faces(task.id).map((face) => face.path));
    const deadline = Date.now() + poll.deadlineMs;
    for (let wait = poll.firstMs; ; wait = Math.min(wait * poll.factor, poll.maxMs)) {
      const remote = await magicHour.getDetection(remoteId);
      for (const [position, face] of remote.faces.entries()) {
        const name = path.posix.basename(new URL(face.url, "http://x").pathname);
        const match = CROP_NAME.exec(name) ?? CROP_NAME.exec(`0-${position}.png`);
        const key = `api-assets/${task.id}/${match?.[0]}`;
        if (copied.has(key)) continue;
        await storage.write(key, await magicHour.download(face.url, MAX_CROP_BYTES));
        tasks.addFace(task.id, {
          frame: Number(match?.[1]),
          index: Number(match?.[2]),
          path: key,
          score: null,
          box: null,
          landmarks: [],
        });
        copied.add(key);
      }
      if (remote.status === "complete") break;
      if (remote.status === "error")
        throw new UpstreamError("failed", `upstream task ${remoteId} ended in error`);
      if (Date.now() > deadline)
        throw new UpstreamError("unavailable", `upstream task ${remoteId} timed out`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await finishWithPreview(task, deps);
  };
}

/** The photo itself for the result page (Magic Hour gives no boxes to draw); the share card is drawn from it. */
async function finishWithPreview(task: TaskRecord, deps: MagicHourRunnerDeps): Promise<void> {
  const { tasks, storage } = deps;
  if (!task.inputKey || task.kind !== "image") {
    tasks.complete(task.id, { width: 0, height: 0 });
    return;
  }
  const image = await decodeImage(await readFile(storage.pathFor(task.inputKey)), {
    maxPixels: deps.maxImagePixels,
  });
  const preview = await previewJpeg(image);
  await storePreview(storage, task.id, preview);
  tasks.complete(task.id, { width: image.width, height: image.height });
}

function extensionOf(key: string): string {
  return key.slice(key.lastIndexOf(".") + 1);
}
