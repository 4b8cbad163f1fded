import { ImageDecodeError } from "../engine/image/decode-image";
import { UpstreamError } from "./magic-hour/upstream-error";
import { RemoteFileError } from "./remote-file";
import type { TaskRecord, TaskStore } from "./task-store";

type Run = (task: TaskRecord) => Promise<void>;

/** Errors whose message is written for users; anything else is logged and reported generically. */
function userMessage(error: unknown): string {
  if (
    error instanceof ImageDecodeError ||
    error instanceof RemoteFileError ||
    error instanceof UpstreamError
  ) {
    return error.message;
  }
  return "Face detection failed";
}

/**
 * Run one queued task on the provider it was created for. Every failure ends the task in `error` with a reason;
 * nothing is left `rendering`.
 */
export function detectionRunner(tasks: TaskStore, runners: { local: Run; "magic-hour": Run | null }) {
  return async (taskId: string): Promise<void> => {
    const task = tasks.get(taskId);
    if (task?.status !== "queued") return;
    tasks.markRendering(taskId);
    try {
      const run = runners[task.provider];
      if (!run)
        throw new Error("This task was created for Magic Hour, which is not configured on this server");
      await run(task);
    } catch (error) {
      if (error instanceof UpstreamError)
        console.error(`[detect] task ${taskId}: ${error.problem}: ${error.detail}`);
      else if (!(error instanceof ImageDecodeError || error instanceof RemoteFileError)) {
        console.error(`[detect] task ${taskId} failed:`, error);
      }
      tasks.fail(taskId, userMessage(error));
    }
  };
}
