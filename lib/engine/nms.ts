import { iou } from "./geometry";
import type { Face, Point } from "./types";

/**
 * MediaPipe's weighted non-maximum suppression: take the best remaining face, gather every face that overlaps it
 * (IoU above the threshold), and replace the group by the score-weighted mean of its boxes and landmarks, keeping
 * the best score. Averaging steadies boxes that neighbouring anchors each predict slightly differently.
 */
export function weightedNms(faces: readonly Face[], iouThreshold = 0.3): Face[] {
  const remaining = [...faces].sort((a, b) => b.score - a.score);
  const kept: Face[] = [];
  while (remaining.length > 0) {
    const top = remaining[0] as Face;
    const cluster: Face[] = [top];
    const rest: Face[] = [];
    for (const face of remaining.slice(1))
      (iou(top.box, face.box) > iouThreshold ? cluster : rest).push(face);
    kept.push(weightedMean(cluster, top.score));
    remaining.splice(0, remaining.length, ...rest);
  }
  return kept;
}

export function weightedMean(cluster: readonly Face[], score: number): Face {
  let total = 0;
  let x = 0;
  let y = 0;
  let width = 0;
  let height = 0;
  const landmarkCount = Math.min(...cluster.map((f) => f.landmarks.length));
  const landmarks: Point[] = Array.from({ length: landmarkCount }, () => [0, 0]);
  for (const face of cluster) {
    const w = face.score;
    total += w;
    x += face.box.x * w;
    y += face.box.y * w;
    width += face.box.width * w;
    height += face.box.height * w;
    for (let i = 0; i < landmarkCount; i++) {
      const point = face.landmarks[i] as Point;
      const sum = landmarks[i] as Point;
      sum[0] += point[0] * w;
      sum[1] += point[1] * w;
    }
  }
  return {
    box: { x: x / total, y: y / total, width: width / total, height: height / total },
    score,
    landmarks: landmarks.map(([px, py]) => [px / total, py / total]),
  };
}
