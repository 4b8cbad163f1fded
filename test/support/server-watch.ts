import { readFileSync } from "node:fs";
import http from "node:http";

/** Resident memory of a process, from /proc/<pid>/status (VmRSS), in bytes; 0 once it has gone. */
export function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface WatchReport {
  /** Health answers received, by status ("ok", "degraded", or "HTTP <code>" / "failed: <error>"). */
  answers: Record<string, number>;
  /** Everything other than a 200 with a JSON body. */
  failures: string[];
  peakRssBytes: number;
}

/**
 * Watches a running server while a test works it: polls `/api/health` back to back (one request in flight at a
 * time) and samples the server process's VmRSS every 50 ms. Reports, without judging: the test asserts.
 */
export function watchServer(origin: string, pid: number) {
  const report: WatchReport = { answers: {}, failures: [], peakRssBytes: residentBytes(pid) };
  let stopped = false;
  const sampler = setInterval(() => {
    report.peakRssBytes = Math.max(report.peakRssBytes, residentBytes(pid));
  }, 50);
  const poll = (async () => {
    while (!stopped) {
      let label: string;
      try {
        const { status, body } = await getFresh(`${origin}/api/health`);
        label = status === 200 ? String((JSON.parse(body) as { status?: string }).status) : `HTTP ${status}`;
      } catch (error) {
        label = `failed: ${(error as Error).message}`;
      }
      report.answers[label] = (report.answers[label] ?? 0) + 1;
      if (label !== "ok" && label !== "degraded") report.failures.push(label);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    /** Health answers so far (a test can check that some came while a task was running). */
    answered: () => Object.values(report.answers).reduce((a, b) => a + b, 0),
    async stop(): Promise<WatchReport> {
      stopped = true;
      clearInterval(sampler);
      await poll;
      return report;
    },
  };
}

/**
 * A GET on a connection of its own. A pooled keep-alive connection can be closed by the server while the test
 * process is too busy to notice, and the next request on it fails through no fault of the server; a fresh
 * connection fails only if the server does.
 */
function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        response.on("error", reject);
      })
      .on("error", reject);
  });
}
