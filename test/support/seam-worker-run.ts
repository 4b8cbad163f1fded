import type { ClaimedRun } from "../../lib/server/jobs/claimed-run";
import type { TaskRepository } from "../../lib/server/repository/task-repository";

/** The scale-out tests' stand-in for a detection: two faces, written one by one, then complete. */
export function seamWorkerRun(
  tasks: TaskRepository,
  options: { hang?: boolean; pauseMs?: number; onClaim?: (taskId: string) => void } = {},
): ClaimedRun {
  return async (claim) => {
    options.onClaim?.(claim.taskId);
    for (const index of [0, 1]) {
      await tasks.addFace(claim, {
        frame: 0,
        index,
        path: `api-assets/${claim.taskId}/0-${index}.png`,
        score: 0.9,
        box: { x: index * 50, y: 0, width: 40, height: 40 },
        landmarks: [],
      });
      if (options.hang) await new Promise(() => {});
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
    await tasks.complete(claim, { width: 100, height: 100 });
    return undefined;
  };
}
