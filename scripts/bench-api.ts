/**
 * npm run bench:api — the API's own numbers, against the production build (`next start`) on this machine:
 *   1. Magic Hour's SDK: generate() on a 1920×1280 photo, upload → complete, as the SDK sees it.
 *   2. GET /v1/face-detection/{id} latency at a steady 200 requests/s, with the server idle, then while another
 *      client keeps detections running back to back.
 *
 *   npm run bench:api -- [--rate 200] [--seconds 20] [--runs 7]
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { packageFile } from "../lib/engine/models/package-file";
import { type MagicHourClientClass, MagicHourSdk } from "../test/support/magic-hour-sdk";
import { ensureProductionBuild, startServer } from "../test/support/next-server";
import { type LoadResult, steadyLoad } from "../test/support/steady-load";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "200" },
    seconds: { type: "string", default: "20" },
    runs: { type: "string", default: "7" },
  },
});
process.env.MAGIC_HOUR_LOG_LEVEL = "none";
const KEY = "bench-key-0123456789";

ensureProductionBuild();
const server = await startServer({ API_KEYS: KEY });
const client = new MagicHourSdk({ token: KEY, baseUrl: server.origin });
const photoFile = `${os.tmpdir()}/bench-1920x1280.jpg`;
await sharp(packageFile("@vladmandic/face-api", "demo/sample1.jpg"))
  .resize(1920, 1280, { fit: "cover" })
  .jpeg({ quality: 90 })
  .toFile(photoFile);

try {
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}\n`);

  // 2 first, so the engine is warm for both.
  const times: number[] = [];
  for (let i = 0; i < Number(values.runs) + 1; i++) {
    const start = performance.now();
    const result = await client.v1.faceDetection.generate(
      { assets: { targetFilePath: photoFile }, confidenceScore: 0.5 },
      { downloadOutputs: false },
    );
    if (result.status !== "complete") throw new Error(`task ended ${result.status}`);
    if (i > 0) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
  console.log(
    `SDK generate() on 1920×1280, upload → complete (no download): median ${median.toFixed(0)} ms, ` +
      `min ${times[0]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms over ${times.length} runs`,
  );
  console.log("  (the SDK polls immediately after create, then every 500 ms: MAGIC_HOUR_POLL_INTERVAL)");

  const { id } = await client.v1.faceDetection.create({ assets: { targetFilePath: await uploaded(client) } });
  const load = () =>
    steadyLoad({
      url: `${server.origin}/v1/face-detection/${id}`,
      headers: { authorization: `Bearer ${KEY}` },
      rate: Number(values.rate),
      seconds: Number(values.seconds),
    });
  const report = (label: string, r: LoadResult) =>
    console.log(
      `GET /v1/face-detection/{id}, ${values.rate} req/s for ${values.seconds} s, ${label}: ${r.requests} requests, ` +
        `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(0)} ms, ` +
        `errors ${r.errors}, non-2xx ${r.non2xx}`,
    );
  console.log("");
  report("server idle", await load());
  let detections = 0;
  let busy = true;
  const background = (async () => {
    while (busy) {
      await client.v1.faceDetection.generate(
        { assets: { targetFilePath: photoFile } },
        { downloadOutputs: false },
      );
      detections++;
    }
  })();
  report("detections running", await load());
  busy = false;
  await background;
  console.log(`  (${detections} detections of the 1920×1280 photo completed during that run)`);
} finally {
  await server.stop();
}

async function uploaded(c: InstanceType<MagicHourClientClass>): Promise<string> {
  const { items } = await c.v1.files.uploadUrls.create({ items: [{ type: "image", extension: "jpg" }] });
  const slot = items[0] as { uploadUrl: string; filePath: string };
  await fetch(slot.uploadUrl, { method: "PUT", body: await readFile(photoFile) });
  return slot.filePath;
}
