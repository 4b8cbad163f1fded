/**
 * npm run eval — the engine's accuracy on two sets, beside face-api's SSD MobileNet V1:
 *   1. real photographs (faces-real-dev, read from ../shared at run time; see eval/real-photos.ts), scored with the
 *      WIDER FACE protocol: AP easy / medium / hard, recall and precision at 0.5, false faces, time per photo;
 *   2. the composite regression set built by eval/dataset.ts from the face-api demo photos: recall and precision.
 *
 *   npm run eval -- [--set all|real|composite] [--detector blazeface|rfb320|mediapipe-full-range|all] [--single]
 *                   [--no-second-look] [--no-small-faces] [--confidence 0.5] [--no-peer] [--record]
 *
 * --no-small-faces leaves out the MediaPipe full-range small-face pass that photos get beside BlazeFace.
 *
 * --record writes the numbers to eval/baseline.json (composite) and eval/real-baseline.json (real photos), which
 * the regression tests hold the engine to.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildEvalSet } from "../eval/dataset";
import { type EvalReport, evaluate } from "../eval/evaluate";
import type { Scores } from "../eval/metrics";
import { loadRealPhotos, realPhotosDir, runRealPhotos } from "../eval/real-photos";
import { type RealReport, realPhotoTable, scoreRealPhotos } from "../eval/wider-protocol";
import { aboveConfidence, createFaceEngine, DEFAULT_ENGINE_OPTIONS } from "../lib/engine/face-engine";
import { decodeImage } from "../lib/engine/image/decode-image";
import { DETECTOR_NAMES, type DetectorName } from "../lib/engine/models";

const { values } = parseArgs({
  options: {
    detector: { type: "string", default: "blazeface" },
    single: { type: "boolean", default: false },
    "no-second-look": { type: "boolean", default: false },
    "no-small-faces": { type: "boolean", default: false },
    confidence: { type: "string", default: "0.5" },
    set: { type: "string", default: "all" },
    "no-peer": { type: "boolean", default: false },
    record: { type: "boolean", default: false },
  },
});
const confidence = Number(values.confidence);
const detectors: DetectorName[] =
  values.detector === "all" ? [...DETECTOR_NAMES] : [values.detector as DetectorName];

function printTable(rows: EvalReport[]): void {
  const groups = [...(rows[0]?.groups.keys() ?? [])];
  const fmt = (s: Scores) =>
    s.truePositives + s.falseNegatives === 0
      ? `${s.falsePositives} false face${s.falsePositives === 1 ? "" : "s"}`
      : `${s.recall.toFixed(3)} / ${s.precision.toFixed(3)} (${s.falsePositives} FP, ${s.falseNegatives} FN)`;
  console.log(
    `\nrecall / precision at confidence ${confidence} (a match is IoU ≥ 0.4); negatives: faces reported\n`,
  );
  console.log(`| group | ${rows.map((r) => r.system).join(" | ")} |`);
  console.log(`|---|${rows.map(() => "---").join("|")}|`);
  for (const group of groups)
    console.log(`| ${group} | ${rows.map((r) => fmt(r.groups.get(group) as Scores)).join(" | ")} |`);
  console.log(
    `| **all** | ${rows.map((r) => `${fmt(r.overall)} F1 ${r.overall.f1.toFixed(3)}`).join(" | ")} |`,
  );
}

const withPeer = !values["no-peer"];
const verify = !values["no-second-look"];
// The small-face pass is fused with BlazeFace; another detector is measured on its own.
const smallFacesFor = (detector: DetectorName) =>
  detector === "blazeface" && !values["no-small-faces"] ? DEFAULT_ENGINE_OPTIONS.smallFaces : null;
const label = (detector: DetectorName) =>
  `${detector}${values.single ? " single" : " tiled"}${verify ? "" : ", first look only"}${smallFacesFor(detector) ? " + small faces" : ""}`;
const peer = withPeer
  ? await (await import("./bench/face-api-peer")).createFaceApiPeer({ minConfidence: 0.3 })
  : null;
const peerDetect = async (bytes: Buffer) => {
  const rgb = await decodeImage(bytes);
  return ((await peer?.detect(rgb.data, rgb.width, rgb.height)) ?? []).map(({ score, ...box }) => ({
    box,
    score,
  }));
};

if (values.set !== "composite") await realPhotoSection();
if (values.set !== "real") await compositeSection();
peer?.dispose();

async function realPhotoSection(): Promise<void> {
  const photos = loadRealPhotos();
  if (!photos) {
    console.log(
      `\nreal photos: skipped, the development set is not at ${realPhotosDir()} (set FACES_REAL_DEV_DIR to its folder)`,
    );
    return;
  }
  console.log(`\nreal photos: ${photos.length} from ${realPhotosDir()}`);
  const reports: RealReport[] = [];
  for (const detector of detectors) {
    const engine = createFaceEngine({
      detector,
      tiled: !values.single,
      verify,
      smallFaces: smallFacesFor(detector),
    });
    // Warm: models loaded and workers started, as in a running server.
    await engine.detectImage(readFileSync(photos[0]?.file as string));
    const runs = await runRealPhotos(photos, async (bytes) => (await engine.detectImage(bytes)).faces);
    reports.push(scoreRealPhotos(label(detector), runs));
    await engine.close();
  }
  if (peer) {
    await peerDetect(readFileSync(photos[0]?.file as string));
    reports.push(scoreRealPhotos("face-api ssd (tfjs-wasm)", await runRealPhotos(photos, peerDetect)));
  }
  console.log(
    "\nWIDER protocol: IoU ≥ 0.5, harder and ignored faces ignored per setting; face-mask photos matched leniently.",
  );
  console.log(
    "Times: decode → faces → crops for the engine, decode → faces for the peer, warm, one photo at a time.\n",
  );
  console.log(realPhotoTable(reports));
  if (values.record) {
    const r = reports[0] as RealReport;
    const recorded = {
      system: r.system,
      wider: Object.fromEntries(
        Object.entries(r.wider).map(([k, v]) => [k, { ap: v.ap, recall: v.recall, precision: v.precision }]),
      ),
      others: { ap: r.others.ap, recall: r.others.recall, precision: r.others.precision },
      falseFaces: r.falseFaces,
    };
    writeFileSync(
      new URL("../eval/real-baseline.json", import.meta.url),
      `${JSON.stringify(recorded, null, 2)}\n`,
    );
    console.log("\nrecorded eval/real-baseline.json");
  }
}

async function compositeSection(): Promise<void> {
  const images = await buildEvalSet();
  console.log(
    `\ncomposite set: ${images.length} images, ${images.reduce((n, i) => n + i.faces.length, 0)} labelled faces`,
  );
  const rows: EvalReport[] = [];
  for (const detector of detectors) {
    const engine = createFaceEngine({
      detector,
      tiled: !values.single,
      verify,
      smallFaces: smallFacesFor(detector),
    });
    rows.push(
      await evaluate(label(detector), images, async (image) =>
        aboveConfidence((await engine.detectImage(image.bytes, { crops: false })).faces, confidence),
      ),
    );
    await engine.close();
  }
  if (peer) {
    rows.push(
      await evaluate("face-api ssd", images, async (image) =>
        (await peerDetect(image.bytes)).filter((d) => d.score >= confidence),
      ),
    );
  }
  printTable(rows);
  if (values.record) {
    const row = rows[0] as EvalReport;
    const baseline = {
      system: row.system,
      confidence,
      groups: Object.fromEntries(
        [...row.groups].map(([g, s]) => [
          g,
          { recall: s.recall, precision: s.precision, falsePositives: s.falsePositives },
        ]),
      ),
      overall: { recall: row.overall.recall, precision: row.overall.precision, f1: row.overall.f1 },
    };
    writeFileSync(
      new URL("../eval/baseline.json", import.meta.url),
      `${JSON.stringify(baseline, null, 2)}\n`,
    );
    console.log("\nrecorded eval/baseline.json");
  }
}
