import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { InferenceReply, InferenceRequest, TensorInput } from "./inference-protocol";

export interface InferencePoolOptions {
  /** Worker threads; each holds its own sessions. */
  workers: number;
  /** onnxruntime intra-op threads per worker. workers × threads should not exceed the cores. */
  threadsPerWorker: number;
}

type Outputs = Array<Record<string, Float32Array>>;

interface Pending {
  resolve: (outputs: Outputs) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Inputs sent and not yet answered: the queue length the next request is balanced against. */
  queued: number;
}

function workerScriptPath(): string {
  const here = import.meta.url.startsWith("file:") ? path.dirname(fileURLToPath(import.meta.url)) : null;
  const candidates = [
    ...(here ? [path.join(here, "inference-worker.mjs")] : []),
    // Bundled server code no longer sits beside its source; the project root does.
    path.join(process.cwd(), "lib/engine/inference/inference-worker.mjs"),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`inference-worker.mjs not found (looked in ${candidates.join(", ")})`);
  return found;
}

/**
 * A fixed set of inference worker threads. A request's inputs are split across the workers and the results put
 * back in order. Idle workers are unref'd so that a CLI exits when its work is done.
 */
export class InferencePool {
  private readonly slots: Slot[] = [];
  private nextId = 1;

  constructor(private readonly options: InferencePoolOptions) {}

  async run(modelPath: string, inputs: TensorInput[]): Promise<Outputs> {
    if (inputs.length === 0) return [];
    this.ensureWorkers();
    // Each input goes to the worker with the shortest queue, counting what earlier requests left there.
    const shares = new Map<Slot, number[]>();
    const load = new Map(this.slots.map((slot) => [slot, slot.queued]));
    inputs.forEach((_, index) => {
      const slot = [...load].reduce((a, b) => (b[1] < a[1] ? b : a))[0];
      load.set(slot, (load.get(slot) ?? 0) + 1);
      shares.set(slot, [...(shares.get(slot) ?? []), index]);
    });
    const outputs: Outputs = new Array(inputs.length);
    await Promise.all(
      [...shares].map(async ([slot, indices]) => {
        const results = await this.send(
          slot,
          modelPath,
          indices.map((i) => inputs[i] as TensorInput),
        );
        indices.forEach((inputIndex, k) => {
          outputs[inputIndex] = results[k] ?? {};
        });
      }),
    );
    return outputs;
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private ensureWorkers(): void {
    while (this.slots.length < this.options.workers) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(workerScriptPath(), {
      workerData: { intraOpThreads: this.options.threadsPerWorker },
    });
    const slot: Slot = { worker, pending: new Map(), queued: 0 };
    worker.unref();
    worker.on("message", (reply: InferenceReply) => {
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if ("error" in reply) pending.reject(new Error(`Inference failed: ${reply.error}`));
      else pending.resolve(reply.outputs);
    });
    const fail = (error: Error) => {
      // A dead worker takes its requests with it: fail them and let the next request start a fresh one.
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      for (const pending of slot.pending.values()) pending.reject(error);
      slot.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`Inference worker exited with code ${code}`)));
    return slot;
  }

  private send(slot: Slot, modelPath: string, inputs: TensorInput[]): Promise<Outputs> {
    const id = this.nextId++;
    const request: InferenceRequest = { id, modelPath, inputs };
    slot.queued += inputs.length;
    const done = () => {
      slot.queued -= inputs.length;
    };
    return new Promise<Outputs>((resolve, reject) => {
      slot.pending.set(id, {
        resolve: (outputs) => {
          done();
          resolve(outputs);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      slot.worker.ref();
      slot.worker.postMessage(
        request,
        inputs.map((input) => input.data.buffer as ArrayBuffer),
      );
    });
  }
}
