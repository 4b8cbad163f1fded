import { afterEach, describe, expect, it } from "vitest";
import { checkHealth } from "./health";
import { inProcessJobQueue } from "./jobs/in-process-job-queue";
import { createMetrics } from "./metrics";
import { startWorkerHttp } from "./worker-http";

/** One sample's value from Prometheus text: the line with this name and exactly these labels, in any order. */
function sample(body: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of body.split("\n")) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe("the worker's health and metrics server", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function start(checks: Parameters<typeof checkHealth>[0]) {
    const queue = inProcessJobQueue({ concurrency: 1, attempts: 1, backoffMs: 1, exhausted: async () => {} });
    const metrics = createMetrics("worker", queue);
    const server = await startWorkerHttp({
      port: 0,
      host: "127.0.0.1",
      health: () => checkHealth(checks),
      metrics,
    });
    closers.push(
      () => server.close(),
      () => queue.close(),
    );
    return { base: `http://127.0.0.1:${server.port}`, queue, metrics };
  }

  it("answers /healthz with every dependency, 503 when one is down", async () => {
    const up = await start({ database: async () => {}, queue: async () => {} });
    const ok = await fetch(`${up.base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      status: "ok",
      dependencies: { database: { status: "ok" }, queue: { status: "ok" } },
    });
    const down = await start({
      database: async () => {},
      queue: () => Promise.reject(new Error("ECONNREFUSED")),
    });
    const failing = await fetch(`${down.base}/healthz`);
    expect(failing.status).toBe(503);
    expect(await failing.json()).toMatchObject({
      dependencies: { queue: { status: "unavailable", message: "ECONNREFUSED" } },
    });
  });

  it("serves Prometheus text with the queue, the jobs run and their outcomes", async () => {
    const { base, queue, metrics } = await start({});
    let release = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    closers.unshift(async () => release());
    queue.start(
      metrics.instrumentJob(async (taskId) => {
        if (taskId === "slow") await hold;
        if (taskId === "bad") throw new Error("boom");
        return taskId === "remote" ? { againInMs: 60_000 } : undefined;
      }),
    );
    for (const id of ["ok", "bad", "remote", "slow", "waiting"]) await queue.enqueue(id);
    metrics.observeQueueWait(0.2);
    metrics.observeHttp("/v1/face-detection/[id]", "GET", 200, 0.004);
    // Scraped while "slow" runs and "waiting" waits behind it.
    const settled = async () => {
      const counts = await queue.counts();
      return counts.running === 1 && counts.waiting === 1 && counts.delayed === 1;
    };
    while (!(await settled())) await new Promise((resolve) => setTimeout(resolve, 10));
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const body = await response.text();
    const value = (name: string, labels: Record<string, string> = {}) =>
      sample(body, name, { ...labels, role: "worker" });
    expect(value("facefinder_queue_jobs", { state: "running" })).toBe(1);
    expect(value("facefinder_queue_jobs", { state: "waiting" })).toBe(1);
    expect(value("facefinder_queue_jobs", { state: "delayed" })).toBe(1);
    expect(value("facefinder_jobs_running")).toBe(1);
    expect(value("facefinder_job_duration_seconds_count", { outcome: "done" })).toBe(1);
    expect(value("facefinder_job_duration_seconds_count", { outcome: "failed" })).toBe(1);
    expect(value("facefinder_job_duration_seconds_count", { outcome: "later" })).toBe(1);
    expect(value("facefinder_job_failures_total")).toBe(1);
    expect(value("facefinder_queue_wait_seconds_count")).toBe(1);
    const route = { route: "/v1/face-detection/[id]", method: "GET", status: "200" };
    expect(value("facefinder_http_request_duration_seconds_count", route)).toBe(1);
    expect(body).toContain("process_cpu_seconds_total");
    release();
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  });
});
