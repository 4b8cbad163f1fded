/**
 * npm run load — the server under load, against the production build: a steady 200 status reads a second for 60 s
 * while 20 clients upload photos and run detections back to back with Magic Hour's SDK. Reports read latency,
 * errors, detections completed and the server's peak memory. Numbers go to docs/RELIABILITY.md.
 *
 *   npm run load -- [--rate 200] [--seconds 60] [--clients 20]
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { packageFile } from "../lib/engine/models/package-file";
import { MagicHourSdk } from "../test/support/magic-hour-sdk";
import { ensureProductionBuild, startServer } from "../test/support/next-server";
import { steadyLoad } from "../test/support/steady-load";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "200" },
    seconds: { type: "string", default: "60" },
    clients: { type: "string", default: "20" },
  },
});
process.env.MAGIC_HOUR_LOG_LEVEL = "none";
const KEY = "load-key-0123456789";

/** Peak resident memory (VmHWM) of a process and its descendants, in MB. */
function peakRssMb(pid: number): number {
  const children = (p: number): number[] => {
    try {
      const list = readFileSync(`/proc/${p}/task/${p}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
      return [p, ...list.flatMap(children)];
    } catch {
      return [p];
    }
  };
  return Math.max(
    ...children(pid).map((p) => {
      try {
        const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1];
        return Number(kb ?? 0) / 1024;
      } catch {
        return 0;
      }
    }),
  );
}

ensureProductionBuild();
const server = await startServer({ API_KEYS: KEY });
const client = new MagicHourSdk({ token: KEY, baseUrl: server.origin });
const photos = await Promise.all(
  [1, 2, 3, 4, 5, 6].map(async (n) => {
    const file = `${os.tmpdir()}/load-sample${n}.jpg`;
    await sharp(packageFile("@vladmandic/face-api", `demo/sample${n}.jpg`))
      .resize(1920)
      .jpeg({ quality: 88 })
      .toFile(file);
    return file;
  }),
);
try {
  const seed = await client.v1.faceDetection.generate(
    { assets: { targetFilePath: photos[0] as string } },
    { downloadOutputs: false },
  );
  let running = true;
  let completed = 0;
  let failed = 0;
  const workers = Array.from({ length: Number(values.clients) }, async (_, i) => {
    while (running) {
      try {
        const result = await client.v1.faceDetection.generate(
          { assets: { targetFilePath: photos[i % photos.length] as string } },
          { downloadOutputs: false },
        );
        if (result.status === "complete") completed++;
        else failed++;
      } catch {
        failed++;
      }
    }
  });
  const reads = await steadyLoad({
    url: `${server.origin}/v1/face-detection/${seed.id}`,
    headers: { authorization: `Bearer ${KEY}` },
    rate: Number(values.rate),
    seconds: Number(values.seconds),
  });
  running = false;
  await Promise.all(workers);
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  );
  console.log(
    `status reads: ${reads.requests} at ${values.rate}/s over ${values.seconds} s: p50 ${reads.p50.toFixed(1)} ms, ` +
      `p99 ${reads.p99.toFixed(1)} ms, max ${reads.max.toFixed(0)} ms, errors ${reads.errors}, non-2xx ${reads.non2xx}`,
  );
  console.log(`detections by ${values.clients} clients meanwhile: ${completed} complete, ${failed} failed`);
  console.log(`server peak RSS: ${peakRssMb(server.pid).toFixed(0)} MB`);
} finally {
  await server.stop();
}
