import "server-only";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { JobHandler, JobQueue } from "./jobs/job-queue";

/**
 * Prometheus metrics, one registry per process (web: `/metrics`; worker: `/metrics` on WORKER_PORT). Queue depth
 * is read from the queue when scraped (in Redis it is the cluster's); jobs running and durations are this process's.
 */
export interface Metrics {
  /** Count, time and label a job handler's runs. */
  instrumentJob(handler: JobHandler): JobHandler;
  /** A task's wait between creation and its first claim. */
  observeQueueWait(seconds: number): void;
  observeHttp(route: string, method: string, status: number, seconds: number): void;
  /** The text exposition format, and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(role: string, queue: Pick<JobQueue, "counts">): Metrics {
  const registers = [new Registry()];
  const registry = registers[0] as Registry;
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: "facefinder_queue_jobs",
    help: "Detection jobs in the queue by state (in Redis: across the cluster)",
    labelNames: ["state"],
    registers,
    async collect() {
      const counts = await queue.counts();
      this.set({ state: "waiting" }, counts.waiting);
      this.set({ state: "delayed" }, counts.delayed);
      this.set({ state: "running" }, counts.running);
    },
  });
  const running = new Gauge({
    name: "facefinder_jobs_running",
    help: "Detection jobs this process is running",
    registers,
  });
  const duration = new Histogram({
    name: "facefinder_job_duration_seconds",
    help: "Time a job held a worker slot, by outcome (done, later: parked for a remote provider, failed)",
    labelNames: ["outcome"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers,
  });
  const failures = new Counter({
    name: "facefinder_job_failures_total",
    help: "Job runs that threw (each is retried until its tries run out)",
    registers,
  });
  const wait = new Histogram({
    name: "facefinder_queue_wait_seconds",
    help: "Time from a task's creation to its first claim",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const http = new Histogram({
    name: "facefinder_http_request_duration_seconds",
    help: "HTTP request latency by route, method and status",
    labelNames: ["route", "method", "status"],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers,
  });

  return {
    instrumentJob(handler) {
      return async (taskId, delivery) => {
        running.inc();
        const stop = duration.startTimer();
        try {
          const outcome = await handler(taskId, delivery);
          stop({ outcome: outcome ? "later" : "done" });
          return outcome;
        } catch (error) {
          stop({ outcome: "failed" });
          failures.inc();
          throw error;
        } finally {
          running.dec();
        }
      };
    },
    observeQueueWait(seconds) {
      wait.observe(seconds);
    },
    observeHttp(route, method, status, seconds) {
      http.observe({ route, method, status: String(status) }, seconds);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
