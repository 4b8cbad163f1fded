/**
 * npm run eval:candidates — each candidate face detector alone on the real-photo development set (faces-real-dev,
 * read from ../shared at run time), scored with the WIDER protocol of eval/wider-protocol.ts, beside the current
 * engine: AP easy / medium / hard on WIDER val, AP on the other photos, recall and precision at 0.5, false faces on
 * the face-free photos, time per photo (decode → faces, warm, one photo at a time).
 *
 *   npm run eval:candidates -- [--only <name>[,<name>…]] [--list] [--json <file>]
 *
 * The adapters are in eval/candidates/; every model comes from an npm package in node_modules. Results and what
 * stands in each candidate's way are written up in docs/ENGINE-CANDIDATES.md.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { allCandidates, type Candidate } from "../eval/candidates";
import { loadRealPhotos, realPhotosDir, runRealPhotos } from "../eval/real-photos";
import { REPORT_CONFIDENCE, type RealReport, scoreRealPhotos } from "../eval/wider-protocol";
import { decodeImage } from "../lib/engine/image/decode-image";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    list: { type: "boolean", default: false },
    json: { type: "string" },
  },
});

const candidates = allCandidates();
if (values.list) {
  for (const c of candidates)
    console.log(`${c.name}${c.slow ? " (slow: only with --only)" : ""}\t${c.source}`);
  process.exit(0);
}
const wanted = values.only?.split(",").map((s) => s.trim());
const unknown = wanted?.filter((name) => !candidates.some((c) => c.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `unknown candidate ${unknown.join(", ")}; known: ${candidates.map((c) => c.name).join(", ")}`,
  );
  process.exit(2);
}
const chosen = wanted ? candidates.filter((c) => wanted.includes(c.name)) : candidates.filter((c) => !c.slow);

const photos = loadRealPhotos();
if (!photos) {
  console.log(
    `real photos: skipped, the development set is not at ${realPhotosDir()} (set FACES_REAL_DEV_DIR to its folder)`,
  );
  process.exit(0);
}
console.log(
  `${photos.length} photos from ${realPhotosDir()}; ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} at start`,
);

interface Row {
  candidate: Candidate;
  report: RealReport;
  load: number[];
  /** Model runs per photo, where the adapter counts them. */
  passesPerPhoto?: number;
}

const rows: Row[] = [];
for (const candidate of chosen) {
  await candidate.load();
  const detect = async (bytes: Buffer) => candidate.detect(await decodeImage(bytes));
  // Warm: weights loaded, kernels compiled and workers started before the clock runs, as in a running server.
  await detect(readFileSync(photos[0]?.file as string));
  const passesBefore = candidate.passes?.count ?? 0;
  const runs = await runRealPhotos(photos, detect);
  const report = scoreRealPhotos(candidate.name, runs);
  const passesPerPhoto = candidate.passes
    ? (candidate.passes.count - passesBefore) / photos.length
    : undefined;
  rows.push({ candidate, report, load: os.loadavg(), passesPerPhoto });
  await candidate.close?.();
  console.log(`${candidate.name}: done (load average ${os.loadavg()[0]?.toFixed(2)})`);
}

const f = (n: number) => n.toFixed(3);
console.log(
  `\nWIDER protocol (IoU ≥ 0.5; harder and ignored faces ignored per setting; face-mask photos matched leniently).`,
);
console.log(
  `AP, then recall / precision at ${REPORT_CONFIDENCE}. † = trained on WIDER FACE val: its WIDER val columns are no evidence.\n`,
);
console.log(
  "| candidate | WIDER val easy | medium | hard | other photos (WIDER train + face-mask) | false faces (photos) | ms mean / p50 / p90 / max | passes / photo |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const { candidate, report: r, passesPerPhoto } of rows) {
  const cell = (s: { ap: number; recall: number; precision: number }) =>
    `${f(s.ap)} (${f(s.recall)} / ${f(s.precision)})`;
  const t = r.time;
  console.log(
    `| ${candidate.name}${candidate.trainedOnWiderVal ? " †" : ""} | ${cell(r.wider.easy)} | ${cell(r.wider.medium)} | ${cell(r.wider.hard)} | ${cell(r.others)} | ${r.falseFaces} (${r.falseFacePhotos}/${r.faceFreePhotos}) | ${[t.mean, t.p50, t.p90, t.max].map(Math.round).join(" / ")} | ${passesPerPhoto?.toFixed(1) ?? "n/a"} |`,
  );
}
console.log("\nsources:");
for (const { candidate } of rows) console.log(`- ${candidate.name}: ${candidate.source}`);

if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify(
      rows.map(({ candidate, report, load, passesPerPhoto }) => ({
        name: candidate.name,
        source: candidate.source,
        trainedOnWiderVal: candidate.trainedOnWiderVal ?? false,
        loadAverageAfter: load,
        passesPerPhoto,
        ...report,
      })),
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${values.json}`);
}
