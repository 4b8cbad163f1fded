"use client";

import { useEffect, useState } from "react";
import type { DetectionView } from "@/lib/api/detection-view";

const round = (value: number) => Math.round(value * 10) / 10;

/** This result in the shape `GET /v1/face-detection/{id}` returns (Magic Hour's fields, then this server's extras). */
function v1Shape(view: DetectionView, confidence: number, origin: string) {
  const faces = view.faces.filter((face) => face.score === null || face.score >= confidence).slice(0, 2);
  return {
    id: view.id,
    credits_charged: 0,
    status: view.status,
    faces: faces.map((face) => ({
      path: face.url.slice(1),
      url: `${origin}${face.url}`,
      frame: 0,
      ...(face.score === null ? {} : { score: Math.round(face.score * 1000) / 1000 }),
      ...(face.box
        ? {
            box: {
              x: round(face.box.x),
              y: round(face.box.y),
              width: round(face.box.width),
              height: round(face.box.height),
            },
          }
        : {}),
      ...(face.landmarks.length ? { landmarks: face.landmarks.map(([x, y]) => [round(x), round(y)]) } : {}),
      ...(view.kind === "video" ? { time: face.time, appearances: face.appearances } : {}),
    })),
    kind: view.kind,
    confidence_score: confidence,
    width: view.width,
    height: view.height,
    ...(view.kind === "video" ? { duration: view.duration } : {}),
  };
}

/**
 * For developers: the API calls that give a result like this one (curl and Magic Hour's SDK against this server),
 * and the JSON they get back, filled in from this result. Closed by default: a details element costs nothing.
 */
export function DeveloperPanel({ view, confidence }: { view: DetectionView; confidence: number }) {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  const ext = view.kind === "video" ? "mp4" : "jpg";
  const file = view.kind === "video" ? "clip.mp4" : "photo.jpg";
  const shape = JSON.stringify(v1Shape(view, confidence, origin), null, 2).replace(
    /\n {2}\]\n/,
    "\n    // … one entry per face\n  ]\n",
  );
  const curl = `KEY=your-api-key; BASE=${origin}
UP=$(curl -s -X POST $BASE/v1/files/upload-urls -H "Authorization: Bearer $KEY" \\
  -H 'Content-Type: application/json' -d '{"items":[{"type":"${view.kind}","extension":"${ext}"}]}')
curl -s -X PUT --data-binary @${file} "$(echo "$UP" | jq -r '.items[0].upload_url')"
ID=$(curl -s -X POST $BASE/v1/face-detection -H "Authorization: Bearer $KEY" \\
  -H 'Content-Type: application/json' \\
  -d "{\\"assets\\":{\\"target_file_path\\":\\"$(echo "$UP" | jq -r '.items[0].file_path')\\"},\\"confidence_score\\":${confidence}}" | jq -r .id)
curl -s $BASE/v1/face-detection/$ID -H "Authorization: Bearer $KEY"`;
  const sdk = `import mh from "magic-hour";
const Client = mh.default ?? mh;
const client = new Client({ token: process.env.API_KEY, baseUrl: "${origin}" });
const result = await client.v1.faceDetection.generate(
  { assets: { targetFilePath: "./${file}" }, confidenceScore: ${confidence} },
  { downloadDirectory: "./faces" },
);`;
  return (
    <details className="rounded-xl bg-neutral-50 px-4 py-3 text-sm ring-1 ring-neutral-200 dark:bg-neutral-900 dark:ring-neutral-800">
      <summary className="cursor-pointer font-medium">For developers: get this result from the API</summary>
      <div className="mt-3 flex flex-col gap-3">
        <p className="text-neutral-700 dark:text-neutral-300">
          This server speaks Magic Hour's face-detection API (a key from <code>API_KEYS</code>). Send the same{" "}
          {view.kind === "video" ? "video" : "photo"} at confidence {confidence.toFixed(2)}:
        </p>
        <Code label="curl">{curl}</Code>
        <Code label="Magic Hour's Node SDK, unchanged">{sdk}</Code>
        <p className="text-neutral-700 dark:text-neutral-300">
          <code>GET /v1/face-detection/{"{id}"}</code> answers with Magic Hour's fields and this server's
          extras (<code>score</code>, <code>box</code> and <code>landmarks</code> in pixels of the upright
          photo), here for this result:
        </p>
        <Code label="JSON">{shape}</Code>
        <p className="text-neutral-700 dark:text-neutral-300">
          This very result, without a key: <code>GET /api/detections/{view.id}</code>, or its faces as{" "}
          <a
            className="underline"
            href={`/api/detections/${view.id}/faces.json?confidence=${confidence.toFixed(2)}`}
          >
            faces.json
          </a>
          .
        </p>
      </div>
    </details>
  );
}

function Code({ label, children }: { label: string; children: string }) {
  return (
    <figure>
      <figcaption className="mb-1 text-neutral-600 text-xs dark:text-neutral-400">{label}</figcaption>
      <pre className="whitespace-pre-wrap break-all rounded-lg bg-neutral-900 p-3 text-neutral-100 text-xs leading-relaxed">
        <code>{children}</code>
      </pre>
    </figure>
  );
}
