import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";

/** Clients that misbehave on the wire, and what the server process looks like while they do. */

export interface RawAnswer {
  status: number | null;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The connection failed (reset, closed) before or instead of an answer. */
  error: string | null;
  /** The server closed the connection after answering (or without answering). */
  closed: boolean;
}

interface RawRequest {
  origin: string;
  path: string;
  method: string;
  headers?: Record<string, string>;
}

/**
 * Send a request whose body `write` produces, chunk by chunk, with chunked transfer encoding (no Content-Length,
 * so the server can't refuse it up front). Stops writing as soon as the server answers or closes.
 */
export function rawRequest(
  { origin, path, method, headers = {} }: RawRequest,
  write: (request: http.ClientRequest, stopped: () => boolean) => void,
): Promise<RawAnswer> {
  const url = new URL(path, origin);
  return new Promise((resolve) => {
    const answer: RawAnswer = { status: null, headers: {}, body: "", error: null, closed: false };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(answer);
    };
    const request = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method,
      headers: { "transfer-encoding": "chunked", ...headers },
      agent: false,
    });
    request.on("response", (response) => {
      answer.status = response.statusCode ?? null;
      answer.headers = response.headers;
      response.setEncoding("utf8");
      response.on("data", (chunk) => {
        answer.body += chunk;
      });
      response.on("end", () => {
        answer.closed = response.headers.connection === "close";
        finish();
      });
      response.on("error", finish);
    });
    request.on("error", (error) => {
      answer.error = (error as NodeJS.ErrnoException).code ?? error.message;
      // An answer may already be on its way: give it a moment to arrive before settling.
      setTimeout(finish, 200);
    });
    request.on("close", () => {
      answer.closed = true;
      setTimeout(finish, 200);
    });
    write(request, () => done || answer.status !== null || request.destroyed);
  });
}

/** `total` bytes of `fill`, as fast as the connection takes them. */
export function floodBody(total: number, fill = 0x20, chunkSize = 1 << 20) {
  return (request: http.ClientRequest, stopped: () => boolean) => {
    const chunk = Buffer.alloc(chunkSize, fill);
    let sent = 0;
    const pump = () => {
      while (sent < total && !stopped()) {
        sent += chunk.length;
        if (!request.write(chunk)) {
          request.once("drain", pump);
          return;
        }
      }
      if (!stopped()) request.end();
    };
    pump();
  };
}

/** A body that never ends: `first`, then one byte every `everyMs` (0: nothing after the first bytes). */
export function trickleBody(first: Buffer, everyMs: number) {
  return (request: http.ClientRequest, stopped: () => boolean) => {
    request.write(first);
    if (everyMs <= 0) return;
    const timer = setInterval(() => {
      if (stopped()) clearInterval(timer);
      else request.write(" ");
    }, everyMs);
    request.on("close", () => clearInterval(timer));
  };
}

/** Resident memory of a process, in MB (VmRSS), and its peak so far (VmHWM). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/** Open file descriptors of a process (sockets included). */
export function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * While `work` runs: ask /api/health every `everyMs` and sample the server's VmRSS. Returns the work's result,
 * the health answers that were not 200 (with the reason), and the highest RSS seen.
 */
export async function whileWatching<T>(
  origin: string,
  pid: number,
  work: () => Promise<T>,
  everyMs = 250,
): Promise<{ result: T; healthFailures: string[]; healthChecks: number; maxRssMb: number }> {
  const healthFailures: string[] = [];
  let healthChecks = 0;
  let maxRssMb = memoryOf(pid).rssMb;
  let running = true;
  const watcher = (async () => {
    while (running) {
      maxRssMb = Math.max(maxRssMb, memoryOf(pid).rssMb);
      try {
        const response = await fetch(`${origin}/api/health`, { signal: AbortSignal.timeout(10_000) });
        if (response.status !== 200) healthFailures.push(`status ${response.status}`);
        await response.arrayBuffer();
      } catch (error) {
        healthFailures.push(String(error));
      }
      healthChecks++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  try {
    const result = await work();
    return { result, healthFailures, healthChecks, maxRssMb: Math.max(maxRssMb, memoryOf(pid).rssMb) };
  } finally {
    running = false;
    await watcher;
  }
}
