/**
 * npm run bench:video — how fast the engine finds the people in 720p video, and whether memory grows with length.
 * Each clip runs in its own process, so its peak RSS is its own; the timed run is warm (models loaded), as in the
 * server.
 *
 *   npm run bench:video -- [--runs 3]
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { parseArgs } from "node:util";
import { FaceEmbedder } from "../lib/engine/face-embedding";
import { createFaceEngine } from "../lib/engine/face-engine";
import { InferencePool } from "../lib/engine/inference/inference-pool";
import { DEFAULT_VIDEO_OPTIONS, detectVideo } from "../lib/engine/video/detect-video";
import { makeVideo, type Segment } from "../test/support/video-fixtures";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "3" }, clip: { type: "string" } },
});

if (values.clip) {
  // Child: one clip, one run, one line of JSON.
  const engine = createFaceEngine();
  const pool = new InferencePool({ workers: 1, threadsPerWorker: 1 });
  const start = performance.now();
  const result = await detectVideo(
    values.clip,
    { engine, embedder: new FaceEmbedder(pool) },
    {
      ...DEFAULT_VIDEO_OPTIONS,
      confidence: 0.5,
    },
  );
  const seconds = (performance.now() - start) / 1000;
  console.log(
    JSON.stringify({
      duration: result.duration,
      seconds,
      people: result.persons.length,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
  await engine.close();
  await pool.close();
  process.exit(0);
}

// Parent: clips of 10 s and 40 s, cycling through the demo photos with pans, zooms and cuts.
const moves: Segment["move"][] = ["pan", "zoom", "far"];
const clip = (seconds: number) =>
  makeVideo(
    Array.from({ length: seconds / 2 }, (_, i) => ({
      photo: (i % 6) + 1,
      seconds: 2,
      move: moves[i % 3] as Segment["move"],
    })),
    { name: `bench-${seconds}s.mp4` },
  );
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}`);
console.log(
  `sampling ${DEFAULT_VIDEO_OPTIONS.sampleFps} frames/s, 1280×720 H.264 at 10 fps, median of ${values.runs} runs\n`,
);
console.log("| clip | people | processing time | speed | peak RSS |");
console.log("|---|---|---|---|---|");
for (const seconds of [10, 40]) {
  const file = clip(seconds);
  const runs = Array.from({ length: Number(values.runs) }, () => {
    const out = execFileSync("node_modules/.bin/tsx", ["scripts/bench-video.ts", "--clip", file], {
      encoding: "utf8",
    });
    return JSON.parse(out.trim().split("\n").at(-1) as string) as {
      duration: number;
      seconds: number;
      people: number;
      maxRssMb: number;
    };
  });
  runs.sort((a, b) => a.seconds - b.seconds);
  const median = runs[Math.floor(runs.length / 2)] as (typeof runs)[number];
  console.log(
    `| ${seconds} s 720p | ${median.people} | ${median.seconds.toFixed(2)} s | ${(median.duration / median.seconds).toFixed(1)}× real time | ${Math.max(...runs.map((r) => r.maxRssMb)).toFixed(0)} MB |`,
  );
}
