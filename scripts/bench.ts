/**
 * npm run bench — latency of decode → faces (with crops), warm, per image size; single pass vs the tiled pyramid
 * with second looks; and the same images through @vladmandic/face-api's SSD MobileNet V1 (tfjs, wasm backend),
 * the peer a JavaScript developer might pick instead. Also counts faces found on the eval composites by both.
 *
 *   npm run bench -- [--runs 9] [--workers 1] [--threads 2] [--no-peer]
 */
import os from "node:os";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { buildEvalSet } from "../eval/dataset";
import {
  aboveConfidence,
  createFaceEngine,
  DEFAULT_CONFIDENCE,
  DEFAULT_ENGINE_OPTIONS,
} from "../lib/engine/face-engine";
import { decodeImage } from "../lib/engine/image/decode-image";
import { packageFile } from "../lib/engine/models/package-file";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "9" },
    workers: { type: "string", default: String(DEFAULT_ENGINE_OPTIONS.workers) },
    threads: { type: "string", default: String(DEFAULT_ENGINE_OPTIONS.threadsPerWorker) },
    "no-peer": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const pool = { workers: Number(values.workers), threadsPerWorker: Number(values.threads) };

const SIZES: Array<[number, number]> = [
  [640, 480],
  [1920, 1280],
  [4000, 3000],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Warm up twice, then time `runs` calls; returns [p50, p95] in ms and the last result's face count. */
async function time(fn: () => Promise<number>): Promise<{ p50: number; p95: number; faces: number }> {
  let faces = 0;
  for (let i = 0; i < 2; i++) faces = await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    faces = await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), faces };
}

const photo = packageFile("@vladmandic/face-api", "demo/sample1.jpg");
const images: Array<{ label: string; bytes: Buffer }> = await Promise.all(
  SIZES.map(async ([width, height]) => ({
    label: `${width}×${height}`,
    bytes: await sharp(photo).resize(width, height, { fit: "cover" }).jpeg({ quality: 90 }).toBuffer(),
  })),
);

// The crowd composite of the eval set (57 faces of 30–60 px): the case that tiling and second looks make costly.
const crowd = (await buildEvalSet()).find((image) => image.group === "composite crowd");
if (crowd) {
  const { width, height } = await sharp(crowd.bytes).metadata();
  images.push({ label: `crowd ${width}×${height}, ${crowd.faces.length} faces`, bytes: crowd.bytes });
}

const single = createFaceEngine({ tiled: false, verify: false, ...pool });
const tiled = createFaceEngine({ tiled: true, verify: true, ...pool });
const peer = values["no-peer"]
  ? null
  : await (await import("./bench/face-api-peer")).createFaceApiPeer({ minConfidence: DEFAULT_CONFIDENCE });

const count = async (engine: typeof single, bytes: Buffer) =>
  aboveConfidence((await engine.detectImage(bytes)).faces, DEFAULT_CONFIDENCE).length;

console.log(
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
);
console.log(
  `engine: ${pool.workers} worker(s) × ${pool.threadsPerWorker} onnxruntime thread(s); ${runs} timed runs after 2 warm-ups\n`,
);
console.log("| image | single pass p50 / p95 | tiled + second look p50 / p95 | face-api SSD p50 / p95 |");
console.log("|---|---|---|---|");
for (const image of images) {
  const a = await time(() => count(single, image.bytes));
  const b = await time(() => count(tiled, image.bytes));
  const c = peer
    ? await time(async () => {
        const rgb = await decodeImage(image.bytes);
        return (await peer.detect(rgb.data, rgb.width, rgb.height)).length;
      })
    : null;
  const cell = (t: { p50: number; p95: number; faces: number } | null) =>
    t ? `${t.p50.toFixed(0)} / ${t.p95.toFixed(0)} ms (${t.faces} faces)` : "–";
  console.log(`| ${image.label} | ${cell(a)} | ${cell(b)} | ${cell(c)} |`);
}

const composites = (await buildEvalSet()).filter((image) => image.group.startsWith("composite"));
let labelled = 0;
let ours = 0;
let theirs = 0;
for (const image of composites) {
  labelled += image.faces.length;
  ours += await count(tiled, image.bytes);
  if (peer) {
    const rgb = await decodeImage(image.bytes);
    theirs += (await peer.detect(rgb.data, rgb.width, rgb.height)).length;
  }
}
console.log(
  `\nfaces reported on the ${composites.length} eval composites (${labelled} labelled, 30–60 px): engine ${ours}${peer ? `, face-api SSD ${theirs}` : ""} (boxes, not matches: see npm run eval -- --peer)`,
);
await Promise.all([single.close(), tiled.close()]);
peer?.dispose();
