/** Magic Hour's task statuses, exactly; the SDK rejects any other value. */
export const TASK_STATUSES = ["queued", "rendering", "complete", "error"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export function isTerminal(status: TaskStatus): boolean {
  return status === "complete" || status === "error";
}
