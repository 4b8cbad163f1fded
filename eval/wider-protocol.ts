import { iou } from "../lib/engine/geometry";
import type { Box } from "../lib/engine/types";
import type { Difficulty, RealFace, RealPhoto } from "./real-photos";

/**
 * Scoring of the real-photo set as its README prescribes (the WIDER FACE protocol): IoU ≥ 0.5, greedy by
 * descending score; in each setting the faces it doesn't count (harder ones, `ignore` faces) are ignored, and a
 * detection on an ignored face is neither a hit nor a false face. Face-mask photos have looser hand-drawn boxes:
 * every face counts and a match is IoU ≥ 0.3 or each box's centre inside the other. Every detection on a
 * face-free photo is a false face.
 */

export interface Detection {
  box: Box;
  score: number;
}

export interface PhotoRun {
  photo: RealPhoto;
  /** Every candidate the system reports (run it at a low threshold so the precision–recall curve is complete). */
  detections: Detection[];
  /** Wall time for this photo, in milliseconds. */
  ms: number;
}

export const WIDER_IOU = 0.5;
const LENIENT_IOU = 0.3;
/** The threshold at which recall, precision and false faces are reported. */
export const REPORT_CONFIDENCE = 0.5;

const SETTINGS: Record<Difficulty, Difficulty[]> = {
  easy: ["easy"],
  medium: ["easy", "medium"],
  hard: ["easy", "medium", "hard"],
};

type Outcome = { score: number; hit: boolean };

interface Scored {
  /** Average precision: area under the interpolated precision–recall curve. */
  ap: number;
  recall: number;
  precision: number;
  faces: number;
}

function centreInside(a: Box, b: Box): boolean {
  const cx = a.x + a.width / 2;
  const cy = a.y + a.height / 2;
  return cx >= b.x && cx <= b.x + b.width && cy >= b.y && cy <= b.y + b.height;
}

/**
 * One photo's detections against its faces: hits and false faces (detections on ignored faces dropped), and the
 * number of counted faces.
 */
function matchPhoto(
  faces: readonly RealFace[],
  counted: (face: RealFace) => boolean,
  detections: readonly Detection[],
  lenient: boolean,
): { outcomes: Outcome[]; counted: number } {
  const matched = new Set<number>();
  const outcomes: Outcome[] = [];
  const quality = (d: Detection, f: RealFace) => {
    const overlap = iou(d.box, f);
    if (overlap >= (lenient ? LENIENT_IOU : WIDER_IOU)) return overlap;
    return lenient && centreInside(d.box, f) && centreInside(f, d.box) ? LENIENT_IOU / 2 : -1;
  };
  for (const detection of [...detections].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestQuality = -1;
    let onIgnored = false;
    faces.forEach((face, i) => {
      const q = quality(detection, face);
      if (q < 0) return;
      if (!counted(face)) onIgnored = true;
      else if (!matched.has(i) && q > bestQuality) {
        best = i;
        bestQuality = q;
      }
    });
    if (best >= 0) {
      matched.add(best);
      outcomes.push({ score: detection.score, hit: true });
    } else if (!onIgnored) outcomes.push({ score: detection.score, hit: false });
  }
  return { outcomes, counted: faces.filter(counted).length };
}

function score(outcomes: Outcome[], faces: number): Scored {
  const sorted = [...outcomes].sort((a, b) => b.score - a.score);
  const recalls: number[] = [];
  const precisions: number[] = [];
  let hits = 0;
  sorted.forEach((o, i) => {
    if (o.hit) hits++;
    recalls.push(faces > 0 ? hits / faces : 0);
    precisions.push(hits / (i + 1));
  });
  // All-point interpolation: precision at recall r is the best precision at any recall ≥ r.
  for (let i = precisions.length - 2; i >= 0; i--)
    precisions[i] = Math.max(precisions[i] as number, precisions[i + 1] as number);
  let ap = 0;
  let previousRecall = 0;
  sorted.forEach((_, i) => {
    const r = recalls[i] as number;
    ap += (r - previousRecall) * (precisions[i] as number);
    previousRecall = r;
  });
  const above = sorted.filter((o) => o.score >= REPORT_CONFIDENCE);
  const aboveHits = above.filter((o) => o.hit).length;
  return {
    ap,
    recall: faces > 0 ? aboveHits / faces : 1,
    precision: above.length > 0 ? aboveHits / above.length : 1,
    faces,
  };
}

function scoreGroup(
  runs: readonly PhotoRun[],
  counted: (face: RealFace) => boolean,
  lenient: (run: PhotoRun) => boolean,
): Scored {
  const outcomes: Outcome[] = [];
  let faces = 0;
  for (const run of runs) {
    const matched = matchPhoto(run.photo.faces, counted, run.detections, lenient(run));
    outcomes.push(...matched.outcomes);
    faces += matched.counted;
  }
  return score(outcomes, faces);
}

export interface RealReport {
  system: string;
  /** WIDER FACE val photos, official subsets. */
  wider: Record<Difficulty, Scored>;
  /** Photos outside WIDER val: WIDER train (a detector trained on WIDER has seen them) and face-mask photos. */
  others: Scored;
  /** Detections at REPORT_CONFIDENCE on the face-free photos, and on how many photos. */
  falseFaces: number;
  falseFacePhotos: number;
  faceFreePhotos: number;
  time: { mean: number; p50: number; p90: number; max: number };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

export function scoreRealPhotos(system: string, runs: readonly PhotoRun[]): RealReport {
  const wider = runs.filter((r) => r.photo.group === "wider-val");
  const others = runs.filter((r) => r.photo.group === "wider-train" || r.photo.group === "facemask");
  const faceFree = runs.filter((r) => r.photo.group === "face-free");
  const inSetting = (setting: Difficulty) => (face: RealFace) =>
    !face.ignore && face.difficulty !== undefined && SETTINGS[setting].includes(face.difficulty);
  const falseCounts = faceFree.map((r) => r.detections.filter((d) => d.score >= REPORT_CONFIDENCE).length);
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  return {
    system,
    wider: {
      easy: scoreGroup(wider, inSetting("easy"), () => false),
      medium: scoreGroup(wider, inSetting("medium"), () => false),
      hard: scoreGroup(wider, inSetting("hard"), () => false),
    },
    others: scoreGroup(
      others,
      (face) => !face.ignore,
      (run) => run.photo.group === "facemask",
    ),
    falseFaces: falseCounts.reduce((a, b) => a + b, 0),
    falseFacePhotos: falseCounts.filter((n) => n > 0).length,
    faceFreePhotos: faceFree.length,
    time: {
      mean: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
      p50: percentile(times, 0.5),
      p90: percentile(times, 0.9),
      max: times.at(-1) ?? 0,
    },
  };
}

/** The real-photo table, one column per system. */
export function realPhotoTable(reports: readonly RealReport[]): string {
  const f = (n: number) => n.toFixed(3);
  const cell = (s: Scored) => `${f(s.ap)} (${f(s.recall)} / ${f(s.precision)})`;
  const rows: Array<[string, (r: RealReport) => string]> = [
    [`WIDER val easy (${reports[0]?.wider.easy.faces} faces)`, (r) => cell(r.wider.easy)],
    [`WIDER val medium (${reports[0]?.wider.medium.faces})`, (r) => cell(r.wider.medium)],
    [`WIDER val hard (${reports[0]?.wider.hard.faces})`, (r) => cell(r.wider.hard)],
    [`WIDER train + face-mask (${reports[0]?.others.faces})`, (r) => cell(r.others)],
    [
      `face-free (${reports[0]?.faceFreePhotos} photos): false faces`,
      (r) => `${r.falseFaces} (on ${r.falseFacePhotos} photos)`,
    ],
    [
      "time per photo: mean / p50 / p90 / max",
      (r) =>
        `${Math.round(r.time.mean)} / ${Math.round(r.time.p50)} / ${Math.round(r.time.p90)} / ${Math.round(r.time.max)} ms`,
    ],
  ];
  return [
    `| real photos: AP (recall / precision at ${REPORT_CONFIDENCE}) | ${reports.map((r) => r.system).join(" | ")} |`,
    `|---|${reports.map(() => "---").join("|")}|`,
    ...rows.map(([label, value]) => `| ${label} | ${reports.map(value).join(" | ")} |`),
  ].join("\n");
}
