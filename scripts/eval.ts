/**
 * npm run eval — precision, recall and F1 of the engine on the labelled set built by eval/dataset.ts.
 *
 *   npm run eval -- [--detector blazeface|rfb320|all] [--single] [--no-second-look] [--confidence 0.5] [--peer]
 *                   [--record]
 *
 * --record writes the numbers to eval/baseline.json, which the regression test holds the engine to.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildEvalSet } from "../eval/dataset";
import { type EvalReport, evaluate } from "../eval/evaluate";
import type { Scores } from "../eval/metrics";
import { aboveConfidence, createFaceEngine } from "../lib/engine/face-engine";
import { decodeImage } from "../lib/engine/image/decode-image";
import { DETECTOR_NAMES, type DetectorName } from "../lib/engine/models";

const { values } = parseArgs({
  options: {
    detector: { type: "string", default: "blazeface" },
    single: { type: "boolean", default: false },
    "no-second-look": { type: "boolean", default: false },
    confidence: { type: "string", default: "0.5" },
    peer: { type: "boolean", default: false },
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

const images = await buildEvalSet();
console.log(
  `eval set: ${images.length} images, ${images.reduce((n, i) => n + i.faces.length, 0)} labelled faces`,
);
const rows: EvalReport[] = [];
for (const detector of detectors) {
  const verify = !values["no-second-look"];
  const engine = createFaceEngine({ detector, tiled: !values.single, verify });
  rows.push(
    await evaluate(
      `${detector}${values.single ? " single" : " tiled"}${verify ? "" : ", first look only"}`,
      images,
      async (image) =>
        aboveConfidence((await engine.detectImage(image.bytes, { crops: false })).faces, confidence),
    ),
  );
  await engine.close();
}
if (values.peer) {
  const { createFaceApiPeer } = await import("./bench/face-api-peer");
  const peer = await createFaceApiPeer({ minConfidence: confidence });
  rows.push(
    await evaluate("face-api ssd", images, async (image) => {
      const rgb = await decodeImage(image.bytes);
      return (await peer.detect(rgb.data, rgb.width, rgb.height)).map(({ score, ...box }) => ({
        box,
        score,
      }));
    }),
  );
  peer.dispose();
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
  writeFileSync(new URL("../eval/baseline.json", import.meta.url), `${JSON.stringify(baseline, null, 2)}\n`);
  console.log("\nrecorded eval/baseline.json");
}
