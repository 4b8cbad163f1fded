import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * The decoders that sharp can't replace (HEIC, JPEG 2000, BMP) run synchronously for seconds on a large image: here
 * they run in one worker thread, one image at a time, so the server's main thread keeps answering. The worker has a
 * JavaScript heap limit and a time limit per image; a worker that dies (out of memory, a WebAssembly abort) or runs
 * over fails only its own image, and the next image gets a fresh worker. After a large image the worker is retired,
 * because WebAssembly memory grows but never shrinks.
 */

export type OffThreadKind = "heic" | "jpx" | "bmp";

export interface OffThreadPixels {
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** A failure reported by the worker: the caller turns it into an ImageDecodeError. */
export class OffThreadFailure extends Error {
  constructor(
    readonly code: "corrupt" | "unsupported_format" | "dimensions" | "limit",
    message: string,
    readonly width = 0,
    readonly height = 0,
  ) {
    super(message);
    this.name = "OffThreadFailure";
  }
}

export interface DecoderLimits {
  /** V8 heap of the worker (the JavaScript decoders' working memory). */
  heapMb: number;
  /** Wall-clock time one image may take. */
  timeoutMs: number;
  /** Images above this many pixels retire the worker afterwards, returning its grown memory to the system. */
  retireAbovePixels: number;
}

export const DEFAULT_DECODER_LIMITS: DecoderLimits = {
  heapMb: 512,
  timeoutMs: 60_000,
  retireAbovePixels: 16_000_000,
};

interface Job {
  id: number;
  kind: OffThreadKind;
  bytes: Uint8Array;
  header: object;
  maxPixels: number;
  resolve: (value: OffThreadPixels) => void;
  reject: (error: Error) => void;
}

type Reply =
  | ({ id: number } & OffThreadPixels)
  | {
      id: number;
      error: { code: OffThreadFailure["code"]; message: string; width?: number; height?: number };
    };

function workerScriptPath(): string {
  const here = import.meta.url.startsWith("file:") ? path.dirname(fileURLToPath(import.meta.url)) : null;
  const candidates = [
    ...(here ? [path.join(here, "image-decoder-worker.mjs")] : []),
    // Bundled server code no longer sits beside its source; the project root does.
    path.join(process.cwd(), "lib/engine/image/image-decoder-worker.mjs"),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`image-decoder-worker.mjs not found (looked in ${candidates.join(", ")})`);
  return found;
}

export class ImageDecoderWorker {
  private worker: Worker | null = null;
  private readonly waiting: Job[] = [];
  private current: { job: Job; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;
  /** Workers started so far (tests check that a crash leads to a fresh one). */
  started = 0;

  constructor(private readonly limits: DecoderLimits = DEFAULT_DECODER_LIMITS) {}

  decode(
    kind: OffThreadKind,
    bytes: Uint8Array,
    header: object,
    maxPixels: number,
  ): Promise<OffThreadPixels> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, kind, bytes, header, maxPixels, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private pump(): void {
    if (this.current) return;
    const job = this.waiting.shift();
    if (!job) {
      this.worker?.unref();
      return;
    }
    const worker = this.ensureWorker();
    worker.ref();
    const timer = setTimeout(
      () => this.abandon(new OffThreadFailure("limit", "took longer than the decoding time limit")),
      this.limits.timeoutMs,
    );
    this.current = { job, timer };
    // A copy goes to the worker: the caller's buffer stays usable.
    worker.postMessage({
      id: job.id,
      kind: job.kind,
      bytes: job.bytes,
      header: job.header,
      maxPixels: job.maxPixels,
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerScriptPath(), {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: 32 },
    });
    this.started++;
    worker.on("message", (reply: Reply) => this.settle(worker, reply));
    worker.on("error", (error) => {
      if (this.worker !== worker) return;
      const outOfMemory = (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
      this.abandon(
        new OffThreadFailure(
          "limit",
          outOfMemory ? "needed more memory than the decoder may use" : error.message,
        ),
      );
    });
    worker.on("exit", (code) => {
      if (this.worker === worker)
        this.abandon(new OffThreadFailure("limit", `the decoder stopped (exit ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(worker: Worker, reply: Reply): void {
    if (worker !== this.worker || !this.current || this.current.job.id !== reply.id) return;
    const { job, timer } = this.current;
    clearTimeout(timer);
    this.current = null;
    if ("error" in reply) {
      const { code, message, width = 0, height = 0 } = reply.error;
      job.reject(new OffThreadFailure(code, message, width, height));
    } else {
      if (reply.width * reply.height > this.limits.retireAbovePixels) this.retire();
      job.resolve({
        pixels: reply.pixels,
        width: reply.width,
        height: reply.height,
        channels: reply.channels,
      });
    }
    this.pump();
  }

  /** The current image failed with the worker (crash, limit): drop the worker, fail the image, go on. */
  private abandon(failure: OffThreadFailure): void {
    this.retire();
    const current = this.current;
    this.current = null;
    if (current) {
      clearTimeout(current.timer);
      current.job.reject(failure);
    }
    this.pump();
  }

  private retire(): void {
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
  }
}

let shared: ImageDecoderWorker | undefined;

/** The process's one decoder worker: decoding is serialised, so its memory is one image's at a time. */
export function sharedImageDecoder(): ImageDecoderWorker {
  shared ??= new ImageDecoderWorker();
  return shared;
}
