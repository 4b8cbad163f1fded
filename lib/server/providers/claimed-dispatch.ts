import "server-only";
import { ImageDecodeError } from "../../engine/image/decode-image";
import { VideoError } from "../../engine/video/ffmpeg";
import { ClaimedFailureRecorder } from "../jobs/claimed-failure-recorder";
import type { ClaimedRun } from "../jobs/claimed-run";
import { errorFields, log } from "../log";
import { UpstreamError } from "../magic-hour/upstream-error";
import { RemoteFileError } from "../remote-file";
import { LeaseLostError, type TaskRepository } from "../repository/task-repository";
import { isStorageFull, RAN_OUT_OF_STORAGE_MESSAGE } from "../storage-full";

/** Errors whose message is written for users: the same ones the embedded deployment's dispatch.ts reports. */
const USER_FACING = [ImageDecodeError, RemoteFileError, UpstreamError, VideoError];

function isUserFacing(error: unknown): error is Error {
  return USER_FACING.some((type) => error instanceof type);
}

/**
 * A claimed task on the provider it was created for. What the input or the provider got wrong (a file that can't
 * be decoded, a URL that can't be fetched, Magic Hour's refusal) ends the task in `error` with that reason: trying
 * again would fail the same way. Anything else (the database, the bucket, a worker thread) is thrown, so the queue
 * tries again with backoff, and ends the task in `error` only when every try has failed. A full disk or database
 * ends the task at once, "ran out of storage space" (the runner has removed the crops it wrote): as in the embedded
 * dispatch, trying again would most likely meet the same full store. The failures are written through `recorder`,
 * which keeps one the database could not take and writes it once it can.
 */
export function dispatchClaimedToProvider(
  tasks: TaskRepository,
  runners: { local: ClaimedRun; "magic-hour": ClaimedRun | null },
  recorder = new ClaimedFailureRecorder(tasks),
): ClaimedRun {
  return async (claim, task, signal) => {
    const run = runners[task.provider];
    if (!run) {
      await recorder.fail(
        claim,
        "This task was created for Magic Hour, which is not configured on this server",
      );
      return undefined;
    }
    try {
      return await run(claim, task, signal);
    } catch (error) {
      if (!(error instanceof LeaseLostError) && isStorageFull(error)) {
        log("error", "detection ran out of storage space", {
          task_id: task.id,
          attempt: claim.attempt,
          ...errorFields(error),
        });
        await recorder.fail(claim, RAN_OUT_OF_STORAGE_MESSAGE);
        return undefined;
      }
      if (error instanceof LeaseLostError || !isUserFacing(error)) {
        if (!(error instanceof LeaseLostError)) {
          log("error", "detection failed", {
            task_id: task.id,
            attempt: claim.attempt,
            ...errorFields(error),
          });
        }
        throw error;
      }
      if (error instanceof UpstreamError) {
        log("error", "detection failed upstream", {
          task_id: task.id,
          problem: error.problem,
          detail: error.detail,
        });
      }
      await recorder.fail(claim, error.message);
      return undefined;
    }
  };
}
