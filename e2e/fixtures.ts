import { readFileSync } from "node:fs";
import path from "node:path";
import { packageFile } from "../lib/engine/models/package-file";

/** Files the tests upload, made from the face-api demo photos (devDependency). */
export const photoPath = (name: string) => packageFile("@vladmandic/face-api", `demo/${name}`);

export const truncatedJpeg = () => ({
  name: "broken.jpg",
  mimeType: "image/jpeg",
  buffer: readFileSync(photoPath("sample1.jpg")).subarray(0, 3000),
});

export const textFile = () => ({
  name: "notes.txt",
  mimeType: "text/plain",
  buffer: Buffer.from("not a photo"),
});

export const sampleName = (file: string) => path.basename(file);
