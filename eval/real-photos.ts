import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Box } from "../lib/engine/types";

/**
 * The real-photo development set (faces-real-dev): WIDER FACE val photos with the official easy/medium/hard lists,
 * WIDER train photos, face-mask photos and face-free photos, with published boxes. Its licence allows evaluation
 * only, so it is read at run time from the shared folder beside the repository and never copied into it.
 */

export type Difficulty = "easy" | "medium" | "hard";

export interface RealFace extends Box {
  /** WIDER photos only: the easiest official subset that counts this face. */
  difficulty?: Difficulty;
  /** WIDER faces in no official subset (10 px or less, or invalid): neither a hit nor a false face. */
  ignore?: boolean;
}

export type RealGroup = "wider-val" | "wider-train" | "facemask" | "face-free";

export interface RealPhoto {
  name: string;
  group: RealGroup;
  file: string;
  width: number;
  height: number;
  faces: RealFace[];
}

const ROOT = path.resolve(import.meta.dirname, "..");

/** Where the set is: FACES_REAL_DEV_DIR, else ../shared/datasets/faces-real-dev beside the repository. */
export function realPhotosDir(): string {
  return path.resolve(
    ROOT,
    process.env.FACES_REAL_DEV_DIR ?? path.join("..", "shared", "datasets", "faces-real-dev"),
  );
}

export function realPhotosAvailable(): boolean {
  return existsSync(path.join(realPhotosDir(), "ground-truth.json"));
}

function groupOf(name: string): RealGroup {
  if (name.startsWith("noface_")) return "face-free";
  if (name.startsWith("facemask_")) return "facemask";
  if (name.startsWith("wtrain_")) return "wider-train";
  return "wider-val";
}

type GroundTruth = Record<string, { width: number; height: number; faces: RealFace[] }>;

/** The photos and their faces, or null when the set is not there (a user's clone). */
export function loadRealPhotos(): RealPhoto[] | null {
  if (!realPhotosAvailable()) return null;
  const dir = realPhotosDir();
  const truth = JSON.parse(readFileSync(path.join(dir, "ground-truth.json"), "utf8")) as GroundTruth;
  return Object.entries(truth)
    .map(([name, entry]) => ({
      name,
      group: groupOf(name),
      file: path.join(dir, "images", name),
      width: entry.width,
      height: entry.height,
      faces: entry.faces.map(({ x, y, width, height, difficulty, ignore }) => ({
        x,
        y,
        width,
        height,
        ...(difficulty ? { difficulty } : {}),
        ...(ignore ? { ignore } : {}),
      })),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Run a detector over every photo, timing each from its file's bytes to its faces. */
export async function runRealPhotos(
  photos: readonly RealPhoto[],
  detect: (bytes: Buffer) => Promise<Array<{ box: Box; score: number }>>,
): Promise<Array<{ photo: RealPhoto; detections: Array<{ box: Box; score: number }>; ms: number }>> {
  const runs = [];
  for (const photo of photos) {
    const bytes = readFileSync(photo.file);
    const started = performance.now();
    const detections = await detect(bytes);
    runs.push({ photo, detections, ms: performance.now() - started });
  }
  return runs;
}
