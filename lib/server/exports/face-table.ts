import "server-only";
import { type DetectionView, facesAtConfidence } from "../../api/detection-view";
import { faceFileName } from "../../api/face-names";

/** One row per face a viewer sees at a confidence, named as the UI names it. */
export interface FaceRow {
  name: string;
  /** The stored crop, e.g. api-assets/<id>/0-3.png. */
  key: string;
  score: number | null;
  box: { x: number; y: number; width: number; height: number } | null;
  landmarks: Array<[number, number]>;
  time: number | null;
  appearances: Array<{ start: number; end: number }>;
}

export function faceTable(view: DetectionView, confidence: number): FaceRow[] {
  const faces = facesAtConfidence(view.faces, confidence);
  return faces.map((face, position) => ({
    name: faceFileName(position, faces.length),
    key: face.url.slice(1),
    score: face.score,
    box: face.box,
    landmarks: face.landmarks,
    time: face.time,
    appearances: face.appearances,
  }));
}

/** faces.json: the photo's size, the threshold, and each face's crop name, score, box and landmarks. */
export function facesJson(view: DetectionView, confidence: number): string {
  const body = {
    id: view.id,
    kind: view.kind,
    width: view.width,
    height: view.height,
    confidence,
    landmarks: ["right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear"],
    faces: faceTable(view, confidence).map(({ key: _key, ...row }) => ({
      crop: row.name,
      score: row.score,
      box: row.box,
      landmarks: row.landmarks,
      ...(view.kind === "video" ? { time: row.time, appearances: row.appearances } : {}),
    })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

const LANDMARK_COLUMNS = ["right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear"].flatMap(
  (p) => [`${p}_x`, `${p}_y`],
);

const cell = (value: number | null | undefined) =>
  value === null || value === undefined ? "" : String(value);

/** faces.csv: the same rows, one per face, for a spreadsheet. Boxes and landmarks are in pixels of the photo. */
export function facesCsv(view: DetectionView, confidence: number): string {
  const header = ["crop", "score", "x", "y", "width", "height", ...LANDMARK_COLUMNS];
  const lines = faceTable(view, confidence).map((row) => {
    const points = Array.from({ length: 6 }, (_, i) => row.landmarks[i] ?? null);
    return [
      row.name,
      cell(row.score),
      cell(row.box?.x),
      cell(row.box?.y),
      cell(row.box?.width),
      cell(row.box?.height),
      ...points.flatMap((p) => [cell(p?.[0]), cell(p?.[1])]),
    ].join(",");
  });
  return `${[header.join(","), ...lines].join("\r\n")}\r\n`;
}
