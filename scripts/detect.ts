/**
 * npm run --silent detect -- [--confidence 0.5] [--json] [--crops DIR] [--detector blazeface] [--single] FILE...
 *
 * One line per file. With --json each line is {"file","width","height","faces":[{"box","score","landmarks"}]}, or
 * {"file","error"} for a file that can't be read; the exit code is 1 if any file failed.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { FaceEmbedder } from "../lib/engine/face-embedding";
import {
  aboveConfidence,
  createFaceEngine,
  DEFAULT_CONFIDENCE,
  type ImageDetection,
} from "../lib/engine/face-engine";
import { InferencePool } from "../lib/engine/inference/inference-pool";
import { DETECTOR_NAMES } from "../lib/engine/models";
import { DEFAULT_VIDEO_OPTIONS, detectVideo } from "../lib/engine/video/detect-video";
import { readHead } from "../lib/media/read-head";
import { sniffVideo } from "../lib/media/sniff-media";

const USAGE =
  "usage: npm run --silent detect -- [--confidence 0.5] [--json] [--crops DIR] [--detector blazeface|rfb320|mediapipe-full-range] [--single] FILE...";

const Args = z.object({
  confidence: z.coerce.number().min(0).max(1),
  json: z.boolean(),
  crops: z.string().optional(),
  detector: z.enum(DETECTOR_NAMES),
  single: z.boolean(),
});

function parse() {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        confidence: { type: "string", default: String(DEFAULT_CONFIDENCE) },
        json: { type: "boolean", default: false },
        crops: { type: "string" },
        detector: { type: "string", default: "blazeface" },
        single: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const args = Args.safeParse(values);
    if (!args.success)
      throw new Error(args.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; "));
    if (positionals.length === 0) throw new Error("no input files");
    return { ...args.data, files: positionals };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    process.exit(2);
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

function jsonLine(file: string, result: ImageDetection, confidence: number, ms: number): string {
  const faces = aboveConfidence(result.faces, confidence).map((face) => ({
    box: {
      x: round(face.box.x),
      y: round(face.box.y),
      width: round(face.box.width),
      height: round(face.box.height),
    },
    score: Math.round(face.score * 1000) / 1000,
    landmarks: face.landmarks.map(([x, y]) => [round(x), round(y)]),
  }));
  return JSON.stringify({ file, width: result.width, height: result.height, ms, faces });
}

function tableLines(file: string, result: ImageDetection, confidence: number, ms: number): string[] {
  const faces = aboveConfidence(result.faces, confidence);
  const lines = [
    `${file}  ${result.width}×${result.height}  ${faces.length} face${faces.length === 1 ? "" : "s"}  ${ms} ms`,
  ];
  faces.forEach((face, i) => {
    const { x, y, width, height } = face.box;
    lines.push(
      `  ${String(i).padStart(3)}  score ${face.score.toFixed(3)}  x ${Math.round(x)}  y ${Math.round(y)}  ${Math.round(width)}×${Math.round(height)}`,
    );
  });
  return lines;
}

async function writeCrops(
  dir: string,
  file: string,
  result: ImageDetection,
  confidence: number,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const name = path.parse(file).name;
  // Magic Hour names crops <frame>-<index>.png; a still image is frame 0.
  await Promise.all(
    aboveConfidence(result.faces, confidence).map((face, i) =>
      writeFile(path.join(dir, `${name}-0-${i}.png`), face.crop),
    ),
  );
}

/** Messages for people: the file system's error codes become words, the engine's errors are already words. */
function explain(error: unknown): string {
  const code = error && typeof error === "object" && "code" in error ? error.code : undefined;
  if (code === "ENOENT") return "file not found";
  if (code === "EISDIR") return "is a directory, not a file";
  if (code === "EACCES") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}

/** A video: the distinct people, one line per file like a photo's, with kind, duration and appearances. */
async function detectVideoFile(file: string, crops: string | undefined): Promise<string> {
  embedder ??= new FaceEmbedder(new InferencePool({ workers: 1, threadsPerWorker: 1 }));
  const result = await detectVideo(
    file,
    { engine, embedder },
    { ...DEFAULT_VIDEO_OPTIONS, confidence: args.confidence },
  );
  if (crops !== undefined) {
    await mkdir(crops, { recursive: true });
    const name = path.parse(file).name;
    await Promise.all(
      result.persons.map((p) => writeFile(path.join(crops, `${name}-${p.frame}-${p.index}.png`), p.crop)),
    );
  }
  if (!args.json) {
    return [
      `${file}  ${result.width}×${result.height}  ${result.duration.toFixed(1)} s  ${result.persons.length} people`,
      ...result.persons.map(
        (p, i) =>
          `  ${String(i).padStart(3)}  frame ${p.frame}  at ${p.time.toFixed(2)} s  score ${p.score.toFixed(3)}  on screen ${p.appearances.map((a) => `${a.start}–${a.end} s`).join(", ")}`,
      ),
    ].join("\n");
  }
  return JSON.stringify({
    file,
    kind: "video",
    width: result.width,
    height: result.height,
    duration: result.duration,
    faces: result.persons.map((p) => ({
      box: { x: round(p.box.x), y: round(p.box.y), width: round(p.box.width), height: round(p.box.height) },
      score: Math.round(p.score * 1000) / 1000,
      landmarks: p.landmarks.map(([x, y]) => [round(x), round(y)]),
      frame: p.frame,
      time: p.time,
      appearances: p.appearances,
    })),
  });
}

const args = parse();
const engine = createFaceEngine({ detector: args.detector, tiled: !args.single });
let embedder: FaceEmbedder | undefined;
let failed = 0;
for (const file of args.files) {
  try {
    if (sniffVideo(await readHead(file, 64))) {
      console.log(await detectVideoFile(file, args.crops));
      continue;
    }
    const bytes = await readFile(file);
    // Wall time from the file's bytes to its faces (and crops, when asked for): decode, detect, crop.
    const started = performance.now();
    const result = await engine.detectImage(bytes, { crops: args.crops !== undefined });
    const ms = Math.round(performance.now() - started);
    if (args.crops !== undefined) await writeCrops(args.crops, file, result, args.confidence);
    console.log(
      args.json
        ? jsonLine(file, result, args.confidence, ms)
        : tableLines(file, result, args.confidence, ms).join("\n"),
    );
  } catch (error) {
    failed++;
    const message = explain(error);
    if (args.json) console.log(JSON.stringify({ file, error: message }));
    else console.log(`${file}  error: ${message}`);
  }
}
await engine.close();
process.exitCode = failed > 0 ? 1 : 0;
