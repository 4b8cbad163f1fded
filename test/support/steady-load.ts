import http from "node:http";

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Open-loop load at a fixed rate: request i starts at start + i/rate whether or not earlier ones have finished, so
 * a slow server shows up as latency (no coordinated omission). autocannon's rate limit sends each second's requests
 * in a burst, which measures its own queueing more than the server.
 */
export async function steadyLoad(options: {
  url: string;
  headers?: Record<string, string>;
  rate: number;
  seconds: number;
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const total = Math.round(options.rate * options.seconds);
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      new Promise<void>((resolve) => {
        const sent = performance.now();
        const request = http.get(options.url, { agent, headers: options.headers }, (response) => {
          response.resume();
          response.on("end", () => {
            latencies.push(performance.now() - sent);
            if ((response.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        });
        request.on("error", () => {
          errors++;
          resolve();
        });
      }),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    requests: total,
    errors,
    non2xx,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}
