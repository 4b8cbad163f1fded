/**
 * Bounded work for one detection. A photo's plan can hold thousands of windows (a very wide picture) and a texture
 * can yield thousands of candidates; preparing all their tensors at once is what once took a server from 150 MB to
 * gigabytes. Work is prepared and run a batch at a time, a few batches in flight, and stops at the first failure
 * or when the caller aborts.
 */

/** Windows or candidates per inference request: enough to keep both workers busy, 8 × 786 KB of tensors at most. */
export const BATCH_SIZE = 8;
/** Batches prepared ahead while earlier ones are being inferred. */
const IN_FLIGHT = 2;

/** Map `items` through `run` in batches of `size`, at most IN_FLIGHT at once, results in order. */
export async function inBatches<T, R>(
  items: readonly T[],
  run: (batch: T[]) => Promise<R[]>,
  signal: AbortSignal,
  size = BATCH_SIZE,
): Promise<R[]> {
  const results: R[][] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      signal.throwIfAborted();
      const index = next / size;
      const batch = items.slice(next, next + size);
      next += size;
      results[index] = await abortable(run(batch), signal);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, Math.ceil(items.length / size)) }, lane));
  return results.flat();
}

/** Settle as soon as the signal aborts, without waiting for work already handed to a worker (it is small). */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Run tasks side by side; the first failure aborts the shared signal, so sibling tasks stop submitting work
 * instead of running on orphaned (what a bare Promise.all would let them do).
 */
export async function allOrNothing<R>(
  tasks: ReadonlyArray<(signal: AbortSignal) => Promise<R>>,
  outer: AbortSignal | undefined,
): Promise<R[]> {
  const inner = new AbortController();
  const signal = outer ? AbortSignal.any([outer, inner.signal]) : inner.signal;
  try {
    return await Promise.all(
      tasks.map((task) =>
        task(signal).catch((error: unknown) => {
          inner.abort(error);
          throw error;
        }),
      ),
    );
  } finally {
    inner.abort();
  }
}
