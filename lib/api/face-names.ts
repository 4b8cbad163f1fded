import { ConfidenceParam } from "./confidence";

/**
 * A face's file name as the UI numbers it: "Face 3" in the gallery is face-03.png in every download, counted at the
 * threshold the viewer has chosen (so the names always run 1..n without gaps).
 */
export function faceFileName(position: number, total: number): string {
  return `face-${String(position + 1).padStart(Math.max(2, String(total).length), "0")}.png`;
}

/**
 * The confidence a download or card was asked for: 0..1 in the slider's steps, else the task's own. Read with the
 * shared schema; only a route that starts work (a rerun) refuses a bad value instead of falling back.
 */
export function parseConfidence(raw: string | null | undefined, fallback: number): number {
  const parsed = ConfidenceParam.safeParse(raw);
  return parsed.success ? Math.round(parsed.data * 20) / 20 : fallback;
}
