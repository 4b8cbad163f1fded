import "server-only";
import { ApiError, bodiesReadToEnd } from "./api-error";

/**
 * Reading request bodies from clients that may be hostile: a size limit enforced on the bytes as they arrive
 * (chunked bodies declare no length), a deadline for the next byte and for the whole body, and a cap on bodies
 * being received at once, per client address and in all, so that slow senders can't hold every file descriptor.
 */

export interface BodyRules {
  gate: BodyGate;
  address: string;
  maxBytes: number;
  /** No byte for this long: 408. */
  idleMs: number;
  /** The whole body must have arrived within this: 408. */
  totalMs: number;
  tooLarge: () => ApiError;
}

/** Counts the bodies being received, per client address and in all. */
export class BodyGate {
  private readonly byAddress = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perAddress: number,
    private readonly overall: number,
  ) {}

  /** Admit one more body from `address`, or refuse it (429 for that address, 503 when the server is full). */
  enter(address: string): () => void {
    const current = this.byAddress.get(address) ?? 0;
    if (current >= this.perAddress) {
      throw new ApiError(
        429,
        `Too many uploads in progress from this address (limit ${this.perAddress}); wait for one to finish`,
        { "Retry-After": "5" },
      );
    }
    if (this.total >= this.overall) {
      throw new ApiError(503, "The server is receiving too many uploads; try again shortly", {
        "Retry-After": "5",
      });
    }
    this.byAddress.set(address, current + 1);
    this.total++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.total--;
      const after = (this.byAddress.get(address) ?? 1) - 1;
      if (after <= 0) this.byAddress.delete(address);
      else this.byAddress.set(address, after);
    };
  }

  get receiving(): number {
    return this.total;
  }
}

const timedOut = () => new ApiError(408, "The request body arrived too slowly; the upload was stopped");

/**
 * The body's chunks, as they arrive, within the rules. On a refusal the rest of the body is left unread, not
 * cancelled: cancelling would reset the connection before the answer goes out, while the error response closes it
 * (`Connection: close`) right after the answer.
 */
export async function* bodyChunks(request: Request, rules: BodyRules): AsyncGenerator<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > rules.maxBytes) throw rules.tooLarge();
  if (!request.body) return;
  const leave = rules.gate.enter(rules.address);
  const reader = request.body.getReader();
  const deadline = Date.now() + rules.totalMs;
  let size = 0;
  try {
    for (;;) {
      const wait = Math.min(rules.idleMs, deadline - Date.now());
      if (wait <= 0) throw timedOut();
      // A client going away mid-body rejects this read with Node's own error: the request log records it as aborted.
      const read = reader.read();
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        read,
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), wait);
        }),
      ]).finally(() => clearTimeout(timer));
      if (result === "timeout") {
        // The read may still settle (or fail when the connection closes); nobody waits for it any more.
        read.catch(() => {});
        throw timedOut();
      }
      if (result.done) {
        bodiesReadToEnd.add(request);
        return;
      }
      size += result.value.byteLength;
      if (size > rules.maxBytes) throw rules.tooLarge();
      yield result.value;
    }
  } finally {
    leave();
    try {
      reader.releaseLock();
    } catch {
      // a read is still pending: the connection is closed after the answer anyway
    }
  }
}
