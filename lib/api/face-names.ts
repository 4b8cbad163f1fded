/**
 * A face's file name as the UI numbers it: "Face 3" in the gallery is face-03.png in every download, counted at the
 * threshold the viewer has chosen (so the names always run 1..n without gaps).
 */
export function faceFileName(position: number, total: number): string {
  return `face-${String(position + 1).padStart(Math.max(2, String(total).length), "0")}.png`;
}

/** The confidence a download or card was asked for: 0..1 in the slider's steps, else the task's own. */
export function parseConfidence(raw: string | null | undefined, fallback: number): number {
  if (raw === null || raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? Math.round(value * 20) / 20 : fallback;
}
