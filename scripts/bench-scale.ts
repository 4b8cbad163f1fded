/**
 * npm run bench:scale — detections per minute through the scale-out path with one and with two worker processes
 * (`npm run worker`, as deployed: jobs in Redis, tasks in PostgreSQL, photos and crops in the S3 bucket), and the
 * queue wait (task created → first claimed) p50/p99. Needs DATABASE_URL, REDIS_URL and S3_* (e.g.
 * `eval "$(bash .ci/services.sh start)"`).
 *
 *   npm run bench:scale -- [--photos 30] [--runs 3] [--workers 1,2]
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { packageFile } from "../lib/engine/models/package-file";
import { openPostgres } from "../lib/server/repository/postgres";
import { scratchDatabase } from "../test/support/postgres-scratch";
import { env, uniqueName } from "../test/support/scale-out-services";
import { flushPrefix, openProducer, startWorker, submitPhoto } from "../test/support/worker-cluster";

const { values } = parseArgs({
  options: {
    photos: { type: "string", default: "30" },
    runs: { type: "string", default: "3" },
    workers: { type: "string", default: "1,2" },
  },
});
if (!env("DATABASE_URL") || !env("REDIS_URL") || !env("S3_BUCKET")) {
  console.error(
    'Set DATABASE_URL, REDIS_URL and S3_* (eval "$(bash .ci/services.sh start)" starts them on loopback)',
  );
  process.exit(2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const median = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

const SAMPLES = ["sample1.jpg", "sample2.jpg", "sample3.jpg", "sample4.jpg", "sample5.jpg", "sample6.jpg"];
const photos = await Promise.all(
  SAMPLES.map((name) => readFile(packageFile("@vladmandic/face-api", `demo/${name}`))),
);
const count = Number(values.photos);

async function measure(workerCount: number) {
  const scratch = await scratchDatabase();
  const settings = { databaseUrl: scratch.url, redisPrefix: uniqueName("facefinder_bench") };
  const producer = await openProducer(settings);
  const pool = await openPostgres(scratch.url, { max: 2 });
  const workers = [];
  try {
    for (let i = 0; i < workerCount; i++) workers.push(await startWorker(settings));
    const finished = async (ids: string[]) => {
      const { rows } = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM tasks WHERE id = ANY($1) AND status IN ('complete', 'error')",
        [ids],
      );
      return Number(rows[0]?.n) === ids.length;
    };
    // Warm-up: each worker loads its models on its first job; that is start-up, not throughput.
    const warm = [];
    for (let i = 0; i < workerCount * 2; i++) warm.push(await submitPhoto(producer, photos[0] as Buffer));
    while (!(await finished(warm))) await sleep(100);

    const started = Date.now();
    const ids = [];
    for (let i = 0; i < count; i++)
      ids.push(await submitPhoto(producer, photos[i % photos.length] as Buffer));
    while (!(await finished(ids))) await sleep(50);
    const { rows } = await pool.query<{ status: string; wait: string; done: string }>(
      "SELECT status, started_at - created_at AS wait, finished_at AS done FROM tasks WHERE id = ANY($1)",
      [ids],
    );
    const failed = rows.filter((row) => row.status !== "complete").length;
    const last = Math.max(...rows.map((row) => Number(row.done)));
    const waits = rows.map((row) => Number(row.wait) / 1000).sort((a, b) => a - b);
    return {
      perMinute: (count / ((last - started) / 1000)) * 60,
      p50: quantile(waits, 0.5),
      p99: quantile(waits, 0.99),
      failed,
    };
  } finally {
    for (const worker of workers) {
      worker.process.kill("SIGTERM");
      await worker.exited;
    }
    await producer.close();
    await pool.end();
    await scratch.drop();
    await flushPrefix(settings.redisPrefix);
  }
}

const counts = values.workers.split(",").map(Number);
const results = new Map<number, Array<Awaited<ReturnType<typeof measure>>>>();
for (let run = 0; run < Number(values.runs); run++) {
  for (const n of counts) {
    const result = await measure(n);
    results.set(n, [...(results.get(n) ?? []), result]);
    console.log(
      `run ${run + 1}, ${n} worker${n === 1 ? "" : "s"}: ${result.perMinute.toFixed(1)} photos/min, queue wait p50 ${result.p50.toFixed(2)} s, p99 ${result.p99.toFixed(2)} s${result.failed ? `, ${result.failed} failed` : ""}`,
    );
  }
}
console.log(
  `\n${count} photos (the six 1920-px-wide demo photos in turn, 2.5–3 MP) per run; medians of ${values.runs} runs:`,
);
console.log("| workers | photos/min | queue wait p50 | queue wait p99 |");
console.log("| --- | --- | --- | --- |");
for (const [n, list] of results) {
  console.log(
    `| ${n} | ${median(list.map((r) => r.perMinute)).toFixed(1)} | ${median(list.map((r) => r.p50)).toFixed(2)} s | ${median(list.map((r) => r.p99)).toFixed(2)} s |`,
  );
}
process.exit(0);
