import "server-only";
import { ImageDecodeError } from "../../engine/image/decode-image";
import { VideoError } from "../../engine/video/ffmpeg";
import { errorFields, log } from "../log";
import { UpstreamError } from "../magic-hour/upstream-error";
import { RemoteFileError } from "../remote-file";
import { isStorageFull, RAN_OUT_OF_STORAGE_MESSAGE } from "../storage-full";
import type { TaskRecorder } from "../task-recorder";
import type { TaskRecord, TaskStore } from "../task-store";

type Run = (task: TaskRecord) => Promise<void>;

/** Errors whose message is written for users; anything else is logged and reported generically. */
const USER_FACING = [ImageDecodeError, RemoteFileError, UpstreamError, VideoError];

function isUserFacing(error: unknown): error is Error {
  return USER_FACING.some((type) => error instanceof type);
}

/**
 * Run one queued task on the provider it was created for. Every failure ends the task in `error` with a reason and
 * without its partial files; nothing is left `rendering`, even when the failure can only be recorded later (a full
 * disk: see TaskRecorder).
 */
export function dispatchToProvider(
  tasks: TaskStore,
  recorder: TaskRecorder,
  runners: { local: Run; "magic-hour": Run | null },
) {
  return async (taskId: string): Promise<void> => {
    const task = tasks.get(taskId);
    if (task?.status !== "queued") return;
    if (!recorder.start(taskId)) return;
    try {
      const run = runners[task.provider];
      if (!run)
        throw new Error("This task was created for Magic Hour, which is not configured on this server");
      await run(task);
    } catch (error) {
      if (error instanceof UpstreamError) {
        log("error", "detection failed upstream", {
          task_id: taskId,
          problem: error.problem,
          detail: error.detail,
        });
      } else if (!isUserFacing(error)) {
        log("error", "detection failed", { task_id: taskId, ...errorFields(error) });
      }
      const message = isUserFacing(error)
        ? error.message
        : isStorageFull(error)
          ? RAN_OUT_OF_STORAGE_MESSAGE
          : "Face detection failed";
      // The input stays: an uploaded file may be used by another task, and retention removes it in time.
      await recorder.fail(taskId, tasks.get(taskId)?.inputKey ?? task.inputKey, message);
    }
  };
}
