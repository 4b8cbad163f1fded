import { errorFields, log } from "./log";

/**
 * Runs detection tasks in arrival order with bounded concurrency. The queue itself is memory only: the task store
 * is the record, and at start-up every task it still holds as queued (or was rendering when the process died) is
 * enqueued again, so nothing is lost across restarts.
 */
export class DetectionQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly runTask: (taskId: string) => Promise<void>,
    private readonly concurrency: number,
  ) {}

  enqueue(taskId: string): void {
    if (this.queued.has(taskId)) return;
    this.queued.add(taskId);
    this.waiting.push(taskId);
    this.pump();
  }

  /** Resolves once nothing is waiting or running (tests and graceful shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const taskId = this.waiting.shift() as string;
      this.running++;
      this.runTask(taskId)
        .catch((error) =>
          log("error", "detection runner crashed", { task_id: taskId, ...errorFields(error) }),
        )
        .finally(() => {
          this.running--;
          this.queued.delete(taskId);
          this.pump();
          if (this.running === 0 && this.waiting.length === 0) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }
}
