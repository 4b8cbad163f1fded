import "server-only";
import { errorFields, log } from "../log";
import { type Claim, LeaseLostError, type TaskRepository } from "../repository/task-repository";

const RETRY_MS = 2000;

/**
 * A worker's counterpart of the embedded TaskRecorder: a run's failure that the database could not take (it is
 * full, or briefly away) is kept and written every `retryMs` until it lands, so the task does not stay `rendering`
 * with a reason nobody recorded. Each write carries the run's claim: if another attempt took the task over
 * meanwhile (the lease lapsed and the sweeper handed it on once the database took writes again), that attempt's
 * outcome is the task's, and the kept failure is dropped. A worker that dies holding a kept failure loses it; the
 * task is then `rendering` with a lapsed lease, and the sweeper runs it again.
 */
export class ClaimedFailureRecorder {
  private readonly pending = new Map<string, { claim: Claim; message: string }>();
  private timer: NodeJS.Timeout | null = null;
  private retrying = false;

  constructor(
    private readonly tasks: TaskRepository,
    private readonly retryMs = RETRY_MS,
  ) {}

  /** End the claimed task in `error`, now if the database takes it, else as soon as it does. */
  async fail(claim: Claim, message: string): Promise<void> {
    if (await this.tryFail(claim, message)) return;
    this.pending.set(claim.taskId, { claim, message });
    this.schedule();
  }

  /** Failures waiting to be written. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Write what is waiting; the timer calls it, and tests may. */
  async retry(): Promise<void> {
    for (const [taskId, { claim, message }] of [...this.pending]) {
      if (await this.tryFail(claim, message)) this.pending.delete(taskId);
    }
    if (this.pending.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tryFail(claim: Claim, message: string): Promise<boolean> {
    try {
      await this.tasks.fail(claim, message);
      return true;
    } catch (error) {
      if (error instanceof LeaseLostError) return true; // another attempt owns the task: nothing left to record
      log("error", "task failure not recorded; will retry", { task_id: claim.taskId, ...errorFields(error) });
      return false;
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A database that answers slowly must not get a second round of the same writes on top of the first.
      if (this.retrying) return;
      this.retrying = true;
      void this.retry().finally(() => {
        this.retrying = false;
      });
    }, this.retryMs);
    this.timer.unref();
  }
}
