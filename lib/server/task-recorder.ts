import "server-only";
import type { FileStorage } from "./file-storage";
import { errorFields, log } from "./log";
import type { TaskStore } from "./task-store";

/** Runs of a task before start-up recovery gives up on it: the first, and one more after an interruption. */
export const MAX_TASK_ATTEMPTS = 2;

const RETRY_MS = 2000;

/**
 * The runner's writes of a task's state, made so that a failed write (a full disk: SQLITE_FULL) never strands a
 * task. A task that can't be marked as started is not run, and goes back to the queue when writes work again; a
 * failure that can't be recorded is kept here and written as soon as it can be. Either way the task's partial files
 * are removed first, which is often what frees the space to record it.
 */
export class TaskRecorder {
  private readonly failures = new Map<string, string>();
  private readonly unstarted = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly tasks: TaskStore,
    private readonly storage: FileStorage,
    /** Puts a task back in the queue (set once the queue exists). */
    private readonly enqueue: (taskId: string) => void,
    private readonly retryMs = RETRY_MS,
  ) {}

  /** Mark a queued task as started; false if it is not queued or the start could not be recorded. */
  start(taskId: string): boolean {
    try {
      return this.tasks.markRendering(taskId);
    } catch (error) {
      log("error", "task start not recorded; will retry", { task_id: taskId, ...errorFields(error) });
      this.unstarted.add(taskId);
      this.schedule();
      return false;
    }
  }

  /** End a task in error, now if the store can take it, else as soon as it can. */
  async fail(taskId: string, keepKey: string | null, message: string): Promise<void> {
    await this.storage
      .removeOutputs(taskId, keepKey)
      .catch((error) => log("error", "task files not removed", { task_id: taskId, ...errorFields(error) }));
    if (!this.tryFail(taskId, message)) {
      this.failures.set(taskId, message);
      this.schedule();
    }
  }

  /** Task writes waiting for storage (reported by the health check). */
  get waiting(): number {
    return this.failures.size + this.unstarted.size;
  }

  /** Retry what is waiting; exposed for tests and for a health check that finds space again. */
  retry(): void {
    for (const [taskId, message] of this.failures) {
      if (this.tryFail(taskId, message)) this.failures.delete(taskId);
    }
    // Take the set first: a queue may start the task at once, and a start that fails again puts it back in the
    // set, which a live iteration would then visit again, forever.
    const unstarted = [...this.unstarted];
    this.unstarted.clear();
    for (const taskId of unstarted) this.enqueue(taskId);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tryFail(taskId: string, message: string): boolean {
    try {
      this.tasks.fail(taskId, message);
      return true;
    } catch (error) {
      log("error", "task failure not recorded; will retry", { task_id: taskId, ...errorFields(error) });
      return false;
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.retry();
      if (this.waiting === 0) this.stop();
    }, this.retryMs);
    this.timer.unref();
  }
}
