/**
 * Measures how well fr_feature.onnx embeddings (lib/engine/face-embedding.ts) separate people, to choose
 * SAME_PERSON_SIMILARITY.
 *
 *   npx tsx scripts/measure-embedding-threshold.ts [--timing-runs 15]
 *
 * People: the 22 labelled faces of the six face-api demo photos (eval/labels.json), one person each.
 * Same-person pairs: each face in the original photo against the same face found again in variants of the photo
 * that a video would produce (rescaled, rotated, JPEG-recompressed, shifted crops, brightness changes); a detection
 * in a variant is paired with the original face whose box centre, mapped through the variant's transform, is
 * nearest (within a third of the face's width).
 * Different-person pairs: every pair of distinct people in the originals, and, as a harder second set, every
 * variant face against every other person's original face.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import sharp, { type Sharp } from "sharp";
import labels from "../eval/labels.json";
import {
  alignFace,
  cosineSimilarity,
  FaceEmbedder,
  SAME_PERSON_SIMILARITY,
} from "../lib/engine/face-embedding";
import { aboveConfidence, createFaceEngine, DEFAULT_CONFIDENCE } from "../lib/engine/face-engine";
import { iou } from "../lib/engine/geometry";
import { decodeImage } from "../lib/engine/image/decode-image";
import { InferencePool } from "../lib/engine/inference/inference-pool";
import { packageFile } from "../lib/engine/models/package-file";
import type { Box, Face, Point, RgbImage } from "../lib/engine/types";

const { values } = parseArgs({
  options: { "timing-runs": { type: "string", default: "15" } },
});

type PhotoName = keyof typeof labels.images;

/** A transformed photo and where a point of the original lands in it. */
interface Variant {
  name: string;
  image: RgbImage;
  map: (point: Point) => Point;
}

interface Person {
  id: string;
  photo: PhotoName;
  face: Face;
  embedding: Float32Array;
}

interface DifferentPair {
  a: string;
  b: string;
  /** Which variant of `a`'s photo, or "original". */
  variant: string;
  similarity: number;
}

interface VariantFace {
  person: Person;
  variant: string;
  embedding: Float32Array;
}

const engine = createFaceEngine();
const pool = new InferencePool({ workers: 2, threadsPerWorker: 1 });
const embedder = new FaceEmbedder(pool);

async function raw(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const fromRgb = (image: RgbImage) =>
  sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });

async function rescaled(image: RgbImage, width: number): Promise<Variant> {
  const s = width / image.width;
  return {
    name: `scale ${width}w`,
    image: await raw(fromRgb(image).resize({ width })),
    map: ([x, y]) => [x * s, y * s],
  };
}

async function jpeg(image: RgbImage, quality: number, width = image.width): Promise<Variant> {
  const s = width / image.width;
  const bytes = await fromRgb(image).resize({ width }).jpeg({ quality }).toBuffer();
  return {
    name: `jpeg q${quality} ${width}w`,
    image: await decodeImage(bytes),
    map: ([x, y]) => [x * s, y * s],
  };
}

/** Rotation by `degrees` (clockwise on screen) about the centre, same canvas, black corners, bilinear. */
function rotated(image: RgbImage, degrees: number): Variant {
  const { width, height, data } = image;
  const a = (degrees * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const cx = width / 2;
  const cy = height / 2;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Inverse rotation of the output pixel centre, back to pixel-centre coordinates of the source.
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const sx = cx + cos * dx + sin * dy - 0.5;
      const sy = cy - sin * dx + cos * dy - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const k = (y0 * width + x0) * 3;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = (data[k + c] as number) * (1 - fx) + (data[k + 3 + c] as number) * fx;
        const bottom =
          (data[k + width * 3 + c] as number) * (1 - fx) + (data[k + width * 3 + 3 + c] as number) * fx;
        out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return {
    name: `rotate ${degrees > 0 ? "+" : ""}${degrees}°`,
    image: { data: out, width, height },
    map: ([x, y]) => [cx + cos * (x - cx) - sin * (y - cy), cy + sin * (x - cx) + cos * (y - cy)],
  };
}

/** A window 75% as wide as the photo, starting `offset` of the way across, optionally downscaled. */
async function shiftedCrop(image: RgbImage, offset: number, width?: number): Promise<Variant> {
  const left = Math.round(image.width * offset);
  const cropWidth = Math.round(image.width * 0.75);
  const s = width ? width / cropWidth : 1;
  let pipeline = fromRgb(image).extract({ left, top: 0, width: cropWidth, height: image.height });
  if (width) pipeline = fromRgb(await raw(pipeline)).resize({ width });
  return {
    name: `crop x+${Math.round(offset * 100)}%${width ? ` ${width}w` : ""}`,
    image: await raw(pipeline),
    map: ([x, y]) => [(x - left) * s, y * s],
  };
}

function brightness(image: RgbImage, factor: number): Variant {
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round((image.data[i] as number) * factor));
  return { name: `brightness ×${factor}`, image: { ...image, data: out }, map: (p) => p };
}

async function variantsOf(image: RgbImage): Promise<Variant[]> {
  return [
    await rescaled(image, 480),
    await rescaled(image, 768),
    await rescaled(image, 1152),
    rotated(image, 8),
    rotated(image, -8),
    await jpeg(image, 15),
    await jpeg(image, 25, 768),
    await jpeg(image, 40, 480),
    await shiftedCrop(image, 0),
    await shiftedCrop(image, 0.25),
    await shiftedCrop(image, 0.125, 960),
    brightness(image, 0.55),
    brightness(image, 1.4),
  ];
}

const centre = (box: Box): Point => [box.x + box.width / 2, box.y + box.height / 2];

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return (
    (sorted[lower] as number) + ((sorted[upper] as number) - (sorted[lower] as number)) * (position - lower)
  );
}

function summary(label: string, values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const cells = [s[0], quantile(s, 0.05), quantile(s, 0.5), quantile(s, 0.95), s[s.length - 1]].map((v) =>
    (v ?? Number.NaN).toFixed(3).padStart(7),
  );
  return `${label.padEnd(38)}${String(values.length).padStart(6)}${cells.join("")}`;
}

async function main(): Promise<void> {
  const people: Person[] = [];
  const variantFaces: VariantFace[] = [];
  const sameByVariant = new Map<string, number[]>();
  const samePairs: Array<{ id: string; variant: string; similarity: number }> = [];
  let unmatched = 0;
  const missedPeople: string[] = [];

  for (const photo of Object.keys(labels.images) as PhotoName[]) {
    const bytes = readFileSync(packageFile("@vladmandic/face-api", path.join("demo", photo)));
    const image = await decodeImage(bytes);
    const faces = aboveConfidence(await engine.detectPixels(image), DEFAULT_CONFIDENCE);
    const boxes = labels.images[photo].faces.map(([x = 0, y = 0, width = 0, height = 0]) => ({
      x,
      y,
      width,
      height,
    }));
    // Each labelled face is one person; the detection that overlaps it best stands for it in the original.
    const matched: Face[] = [];
    boxes.forEach((label, index) => {
      const best = faces.reduce<Face | undefined>(
        (a, f) => (iou(f.box, label) > (a ? iou(a.box, label) : 0.4) ? f : a),
        undefined,
      );
      if (best) matched.push(best);
      else missedPeople.push(`${photo}#${index}`);
    });
    const embeddings = await embedder.embed(image, matched);
    const photoPeople = matched.map((face, index) => ({
      id: `${photo.replace(".jpg", "")}#${index}`,
      photo,
      face,
      embedding: embeddings[index] as Float32Array,
    }));
    people.push(...photoPeople);

    for (const variant of await variantsOf(image)) {
      const found = aboveConfidence(await engine.detectPixels(variant.image), DEFAULT_CONFIDENCE);
      const pairs: Array<{ person: Person; face: Face }> = [];
      for (const person of photoPeople) {
        const [mx, my] = variant.map(centre(person.face.box));
        const [ex, ey] = variant.map([person.face.box.x + person.face.box.width, person.face.box.y]);
        const [ox, oy] = variant.map([person.face.box.x, person.face.box.y]);
        const mappedWidth = Math.hypot(ex - ox, ey - oy);
        // Faces the variant cut off are not expected to be found.
        const half = mappedWidth / 2;
        if (
          mx - half < 0 ||
          my - half < 0 ||
          mx + half > variant.image.width ||
          my + half > variant.image.height
        ) {
          continue;
        }
        const nearest = found
          .map((face) => ({ face, distance: Math.hypot(centre(face.box)[0] - mx, centre(face.box)[1] - my) }))
          .sort((a, b) => a.distance - b.distance)[0];
        if (!nearest || nearest.distance > mappedWidth / 3) {
          unmatched++;
          continue;
        }
        pairs.push({ person, face: nearest.face });
      }
      const variantEmbeddings = await embedder.embed(
        variant.image,
        pairs.map((p) => p.face),
      );
      pairs.forEach(({ person }, index) => {
        const embedding = variantEmbeddings[index] as Float32Array;
        variantFaces.push({ person, variant: variant.name, embedding });
        const list = sameByVariant.get(variant.name) ?? [];
        const similarity = cosineSimilarity(embedding, person.embedding);
        list.push(similarity);
        sameByVariant.set(variant.name, list);
        samePairs.push({ id: person.id, variant: variant.name, similarity });
      });
    }
    console.error(`${photo}: ${photoPeople.length} people, variants done`);
  }

  const same = samePairs.map((p) => p.similarity);
  const different: DifferentPair[] = [];
  for (let i = 0; i < people.length; i++) {
    for (let j = i + 1; j < people.length; j++) {
      const a = people[i] as Person;
      const b = people[j] as Person;
      different.push({
        a: a.id,
        b: b.id,
        variant: "original",
        similarity: cosineSimilarity(a.embedding, b.embedding),
      });
    }
  }
  for (const vf of variantFaces) {
    for (const other of people) {
      if (other.id === vf.person.id) continue;
      const similarity = cosineSimilarity(vf.embedding, other.embedding);
      different.push({ a: vf.person.id, b: other.id, variant: vf.variant, similarity });
    }
  }
  const differentSimilarities = different.map((d) => d.similarity);

  console.log(
    `\n${people.length} people found in the originals${missedPeople.length ? ` (missed: ${missedPeople.join(", ")})` : ""}; ` +
      `${samePairs.length} faces found again in variants, ${unmatched} not found\n`,
  );
  const header = ["min", "p5", "median", "p95", "max"].map((h) => h.padStart(7)).join("");
  console.log(`${"cosine similarity".padEnd(38)}${"pairs".padStart(6)}${header}`);
  console.log(summary("SAME person (variant vs original)", same));
  for (const [name, list] of sameByVariant) console.log(summary(`  ${name}`, list));
  console.log(summary("DIFFERENT people, all", differentSimilarities));
  console.log(
    summary(
      "  original vs original",
      different.filter((d) => d.variant === "original").map((d) => d.similarity),
    ),
  );
  console.log(
    summary(
      "  variant vs original",
      different.filter((d) => d.variant !== "original").map((d) => d.similarity),
    ),
  );

  // Different people, worst image pair per pair of people.
  const byPersonPair = new Map<string, DifferentPair[]>();
  for (const d of different) {
    const key = [d.a, d.b].sort().join(" vs ");
    byPersonPair.set(key, [...(byPersonPair.get(key) ?? []), d]);
  }
  const personPairs = [...byPersonPair].map(([key, list]) => ({
    key,
    max: Math.max(...list.map((d) => d.similarity)),
    min: Math.min(...list.map((d) => d.similarity)),
    count: list.length,
  }));
  personPairs.sort((x, y) => y.max - x.max);
  console.log(`\nMost similar pairs of different people (${personPairs.length} pairs of people):`);
  for (const p of personPairs.slice(0, 6)) {
    console.log(`  ${p.key}: ${p.min.toFixed(3)}..${p.max.toFixed(3)} over ${p.count} image pairs`);
  }
  console.log("Least similar same-person pairs:");
  for (const h of [...samePairs].sort((x, y) => x.similarity - y.similarity).slice(0, 6)) {
    console.log(`  ${h.id}, ${h.variant}: ${h.similarity.toFixed(3)}`);
  }

  // The threshold: midway in the gap between the lowest same-person similarity and the highest different-person
  // one if there is a gap. If the two overlap, the middle of the widest range of thresholds with the fewest
  // errors: false-accept rate over the pairs of people (a pair counts once if any of its image pairs is accepted:
  // one crossing is enough to merge two people, and the number of variants should not weigh in) plus
  // false-reject rate over the same-person image pairs.
  const minSame = Math.min(...same);
  const maxDifferent = Math.max(...differentSimilarities);
  let threshold: number;
  if (maxDifferent < minSame) {
    threshold = (maxDifferent + minSame) / 2;
    console.log(
      `\nGap: different people up to ${maxDifferent.toFixed(3)}, same person from ${minSame.toFixed(3)}`,
    );
  } else {
    const personMax = personPairs.map((p) => p.max);
    const cuts = [...new Set([...same, ...personMax])].sort((a, b) => a - b);
    const cost = (t: number) =>
      personMax.filter((d) => d >= t).length / personMax.length +
      same.filter((v) => v < t).length / same.length;
    // A threshold between two neighbouring similarities classifies everything the same wherever it sits.
    let best = { cost: Number.POSITIVE_INFINITY, from: 0, to: 0 };
    for (let i = 0; i + 1 < cuts.length; i++) {
      const from = cuts[i] as number;
      const to = cuts[i + 1] as number;
      const c = cost(to);
      if (c < best.cost - 1e-12 || (Math.abs(c - best.cost) <= 1e-12 && to - from > best.to - best.from)) {
        best = { cost: c, from, to };
      }
    }
    threshold = (best.from + best.to) / 2;
    console.log(
      `\nNo gap: different people up to ${maxDifferent.toFixed(3)}, same person from ${minSame.toFixed(3)}; ` +
        `fewest errors between ${best.from.toFixed(3)} and ${best.to.toFixed(3)}`,
    );
  }
  const report = (t: number, label: string) => {
    const falseAccepts = different.filter((d) => d.similarity >= t);
    const acceptedPeople = new Set(falseAccepts.map((d) => [d.a, d.b].sort().join(" vs ")));
    const falseRejects = same.filter((s) => s < t).length;
    console.log(
      `${label.padEnd(24)}${t.toFixed(3)}: false accepts ${String(falseAccepts.length).padStart(4)}/${different.length} ` +
        `(${acceptedPeople.size}/${personPairs.length} pairs of people), false rejects ${falseRejects}/${same.length}`,
    );
  };
  report(threshold, "Chosen threshold");
  report(SAME_PERSON_SIMILARITY, "SAME_PERSON_SIMILARITY");
  for (let t = 0.3; t < 0.71; t += 0.05) report(t, "  at");

  // Timing: one embed() call for a batch of 10 faces (alignment on the main thread + inference in the pool).
  const timingImage = await decodeImage(
    readFileSync(packageFile("@vladmandic/face-api", path.join("demo", "sample5.jpg"))),
  );
  const sample5 = people.filter((p) => p.photo === "sample5.jpg").map((p) => p.face);
  const timingFaces = Array.from({ length: 10 }, (_, i) => sample5[i % sample5.length] as Face);
  await embedder.embed(timingImage, timingFaces); // warm-up: session creation
  const times: number[] = [];
  for (let run = 0; run < Number(values["timing-runs"]); run++) {
    const start = performance.now();
    await embedder.embed(timingImage, timingFaces);
    times.push(performance.now() - start);
  }
  const alignTimes: number[] = [];
  for (let run = 0; run < Number(values["timing-runs"]); run++) {
    const start = performance.now();
    for (const face of timingFaces) alignFace(timingImage, face.landmarks);
    alignTimes.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  alignTimes.sort((a, b) => a - b);
  const median = quantile(times, 0.5);
  console.log(
    `\nTiming: embed() of ${timingFaces.length} faces, median ${median.toFixed(1)} ms ` +
      `(${(median / timingFaces.length).toFixed(1)} ms per embedding; 2 workers × 1 thread, ${times.length} runs), ` +
      `of which alignment on the main thread ${quantile(alignTimes, 0.5).toFixed(1)} ms`,
  );
}

try {
  await main();
} finally {
  await engine.close();
  await pool.close();
}
