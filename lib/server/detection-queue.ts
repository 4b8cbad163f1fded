import "server-only";
import { errorFields, log } from "./log";

/**
 * Runs detection tasks with bounded concurrency, fairly between clients: each client (an API key, or a web
 * visitor's address) has its own lane, and free slots go to the lanes in turn, oldest task first within a lane. So
 * one client queueing hundreds of tasks delays another client's photo by at most one task per slot, not by all of
 * its own.
 *
 * The queue itself is memory only: the task store is the record, and at start-up every task it still holds as
 * queued (or was rendering when the process died) is enqueued again, so nothing is lost across restarts.
 */
export class DetectionQueue {
  /** Waiting task ids per lane; the Map's order is the turn order (a lane that was served moves to the back). */
  private readonly lanes = new Map<string, string[]>();
  /** Every task waiting or running, with its lane. */
  private readonly queued = new Map<string, string>();
  /** Tasks waiting or running per lane. */
  private readonly perLane = new Map<string, number>();
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly runTask: (taskId: string) => Promise<void>,
    private readonly concurrency: number,
  ) {}

  enqueue(taskId: string, lane = "default"): void {
    if (this.queued.has(taskId)) return;
    this.queued.set(taskId, lane);
    this.perLane.set(lane, (this.perLane.get(lane) ?? 0) + 1);
    const waiting = this.lanes.get(lane);
    if (waiting) waiting.push(taskId);
    else this.lanes.set(lane, [taskId]);
    this.pump();
  }

  /** Tasks of this lane waiting or running. */
  pending(lane: string): number {
    return this.perLane.get(lane) ?? 0;
  }

  /** Tasks waiting and running, across lanes (for /metrics). */
  counts(): { waiting: number; delayed: number; running: number } {
    return { waiting: this.queued.size - this.running, delayed: 0, running: this.running };
  }

  /** Resolves once nothing is waiting or running (tests and graceful shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): string | undefined {
    const first = this.lanes.entries().next();
    if (first.done) return undefined;
    const [lane, waiting] = first.value;
    const taskId = waiting.shift();
    this.lanes.delete(lane);
    if (waiting.length > 0) this.lanes.set(lane, waiting);
    return taskId;
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const taskId = this.next();
      if (taskId === undefined) break;
      this.running++;
      this.runTask(taskId)
        .catch((error) =>
          log("error", "detection runner crashed", { task_id: taskId, ...errorFields(error) }),
        )
        .finally(() => {
          this.running--;
          const lane = this.queued.get(taskId) as string;
          this.queued.delete(taskId);
          const left = (this.perLane.get(lane) ?? 1) - 1;
          if (left <= 0) this.perLane.delete(lane);
          else this.perLane.set(lane, left);
          this.pump();
          if (this.running === 0 && this.lanes.size === 0) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }
}
