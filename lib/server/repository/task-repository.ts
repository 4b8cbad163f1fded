import "server-only";
import type { TaskStatus } from "../../api/detection-view";
import type { FaceRecord, NewTask, ProviderName, TaskRecord } from "../task-store";
import type { UploadRecord } from "../upload-store";

/**
 * The async seams over tasks, uploads and shared settings: SQLite in one process (embedded, the default), PostgreSQL
 * when `DATABASE_URL` is set and any number of web and worker processes share the tasks.
 *
 * Delivery of jobs is at least once, so two workers can hold the same task id (a redelivery after a lost lock, the
 * sweeper re-enqueueing). The repository is what keeps that safe: a worker claims a task and gets a lease with its
 * own token; every write it then makes carries the claim, and a write from a claim that is no longer current (its
 * lease lapsed and another worker took over, or the task finished) is refused with LeaseLostError.
 */
export interface Claim {
  taskId: string;
  /** 1 for the first run; a run that died (lapsed lease) makes the next claim the next attempt. */
  attempt: number;
  /** Fences writes: only the latest claim's token is accepted. */
  token: string;
}

export type ClaimResult =
  | { claimed: true; claim: Claim; task: TaskRecord }
  /** missing / finished: nothing to do. exhausted: its workers died on every attempt, and it is now in `error`. */
  | { claimed: false; reason: "missing" | "finished" | "exhausted" }
  /** Another worker's lease is live (that worker may be dead): it lapses in `leaseLeftMs` at the latest. */
  | { claimed: false; reason: "held"; leaseLeftMs: number };

export interface ClaimOptions {
  /** Who claims (host:pid), for logs and /metrics. */
  worker: string;
  /** The lease lasts this long unless renewed; a worker killed mid-job loses the task this long after. */
  leaseMs: number;
  /** A task whose leases lapsed this many times (its worker died each time) ends in `error`. */
  maxAttempts: number;
}

export class LeaseLostError extends Error {
  constructor(readonly claim: Claim) {
    super(
      `Task ${claim.taskId}: attempt ${claim.attempt} no longer holds it (another attempt took over, or it ended)`,
    );
    this.name = "LeaseLostError";
  }
}

/** Said of a task whose worker died on every attempt: what the user sees as its error. */
export function exhaustedMessage(attempts: number): string {
  return `Face detection stopped before finishing ${attempts} times (its worker was stopped or ran out of memory)`;
}

export interface TaskRepository {
  create(task: NewTask): Promise<TaskRecord>;
  get(id: string): Promise<TaskRecord | undefined>;
  /** A live task (not expired, not failed) of this owner on this source at this confidence: a rerun's twin. */
  findSame(
    owner: string,
    source: string,
    confidence: number,
    provider: ProviderName,
  ): Promise<string | undefined>;
  /** Faces at or above a score (and faces without one), in frame then index order. */
  faces(id: string, minScore?: number): Promise<FaceRecord[]>;

  /**
   * Take a queued task (or one whose worker's lease lapsed, or one parked while a remote provider works) for a run.
   * A new attempt starts from a clean slate: faces a dead attempt wrote are dropped, so each face is written once.
   */
  claim(id: string, options: ClaimOptions): Promise<ClaimResult>;
  /** Extend the lease; throws LeaseLostError when the claim is no longer current. */
  renew(claim: Claim, leaseMs: number): Promise<void>;

  // Writes of a run. Each throws LeaseLostError when the claim is no longer current.
  setInput(claim: Claim, inputKey: string): Promise<void>;
  setRemoteId(claim: Claim, remoteId: string): Promise<void>;
  setProgress(claim: Claim, fraction: number): Promise<void>;
  addFace(claim: Claim, face: FaceRecord): Promise<void>;
  /** Put a face in place of the one with the same index (a video person whose best shot changed). */
  replaceFace(claim: Claim, face: FaceRecord): Promise<void>;
  complete(claim: Claim, size: { width: number; height: number; duration?: number }): Promise<void>;
  fail(claim: Claim, message: string): Promise<void>;

  /**
   * Let go of a task that stays `rendering` while someone else works on it (Magic Hour): the next claim, when the
   * delayed job comes back after `forMs`, resumes the same attempt rather than starting a new one.
   */
  park(claim: Claim, forMs: number): Promise<void>;
  /** Give a task back unfinished (a worker shutting down): queued again, and this attempt is not counted. */
  release(claim: Claim): Promise<void>;
  /** The queue gave up on a task: end it in `error` with this reason unless it already ended. */
  abandon(id: string, message: string): Promise<boolean>;

  /**
   * Tasks that must be in the job queue: queued ones, and running ones whose worker's lease lapsed (or parked ones
   * whose wake-up is overdue), oldest first. The sweeper enqueues them again (a no-op for jobs the queue has).
   */
  stranded(limit: number): Promise<string[]>;
  /** Mark finished tasks created before `cutoff` as expired, drop their faces, and return their ids. */
  expire(cutoff: number): Promise<string[]>;

  // Deleting a result from the web app: only the hash of the uploader's token is stored, and a tombstone stays.
  setDeleteToken(id: string, owner: string, tokenHash: string): Promise<void>;
  deletable(
    id: string,
    owner: string,
  ): Promise<{ status: TaskStatus; deleteTokenHash: string | null } | undefined>;
  /** Drop the task and its faces, keeping a tombstone so its share link can say it was deleted. */
  remove(id: string): Promise<void>;
  wasDeleted(id: string): Promise<boolean>;
}

export type NewUpload = Omit<UploadRecord, "state" | "size">;

/** Upload slots handed out by /v1/files/upload-urls and filled by one PUT each. */
export interface UploadRepository {
  create(upload: NewUpload): Promise<void>;
  get(id: string): Promise<UploadRecord | undefined>;
  byFilePath(filePath: string): Promise<UploadRecord | undefined>;
  /** Claim a pending slot for one PUT; false if it is taken or filled. Atomic across processes. */
  claim(id: string): Promise<boolean>;
  release(id: string): Promise<void>;
  markUploaded(id: string, size: number): Promise<void>;
  /** Forget uploads created before `cutoff` that no live task uses; returns their ids, whose files can go. */
  expire(cutoff: number): Promise<string[]>;
}

/** Values every process must agree on, made once by whichever process asks first (the upload-URL signing key). */
export interface SharedSettings {
  secret(name: string): Promise<Buffer>;
}

/** Work that must run once across all processes at a time (the retention sweep). */
export interface ClusterLock {
  /** Run `work` if no other process holds `name`; undefined (without running it) if one does. */
  runExclusive<T>(name: string, work: () => Promise<T>): Promise<T | undefined>;
}
