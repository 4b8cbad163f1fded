import { createRequire } from "node:module";
import path from "node:path";
import * as ort from "onnxruntime-node";
import Retinaface from "retinaface";
import { mergeAcrossPasses } from "../../lib/engine/merge";
import type { Box, Face, RgbImage } from "../../lib/engine/types";
import { CANDIDATE_FLOOR, type Candidate } from "./candidate";
import { cutAndScale, cutByTileEdge, planTiles } from "./pixels";

/**
 * RetinaFace with a MobileNet-0.25 backbone (insightface's `mnet.25`, trained on WIDER FACE train), as the npm
 * package `retinaface` ships it: `mnet.25_v2.onnx`, a fixed 640×640 NCHW input of raw RGB 0–255, anchors at strides
 * 8/16/32. The package's own decoder (anchors, regression, NMS at IoU 0.5) turns the outputs into boxes and five
 * landmarks; it only needs an RGBA ImageData-like object, so it runs under onnxruntime-node unchanged.
 *
 * Because the input is fixed, a photo is letterboxed into 640 (one pass); tiled adds windows of `tile` source
 * pixels scaled to 640 (640 = 1×, 320 = 2× for faces of 10–20 px) at 75 % stride, boxes cut by a window's inner
 * edge dropped, then the engine's cross-pass merge.
 */

const SIZE = 640;
let detector: Retinaface | undefined;

async function pass(image: RgbImage, region: Box): Promise<Face[]> {
  const side = Math.max(region.width, region.height);
  const scale = SIZE / side;
  const pixels = await cutAndScale(
    image,
    region,
    Math.max(1, Math.round(region.width * scale)),
    Math.max(1, Math.round(region.height * scale)),
  );
  const rgba = new Uint8ClampedArray(SIZE * SIZE * 4);
  for (let y = 0; y < pixels.height; y++)
    for (let x = 0; x < pixels.width; x++) {
      const from = (y * pixels.width + x) * 3;
      const to = (y * SIZE + x) * 4;
      rgba[to] = pixels.data[from] as number;
      rgba[to + 1] = pixels.data[from + 1] as number;
      rgba[to + 2] = pixels.data[from + 2] as number;
      rgba[to + 3] = 255;
    }
  const found = await (detector as Retinaface).detect(
    { data: rgba, width: SIZE, height: SIZE, colorSpace: "srgb" } as ImageData,
    scale,
    CANDIDATE_FLOOR,
  );
  return found.map(({ rect: [x0, y0, x1, y1], landmarks, prob }) => ({
    box: { x: region.x + x0, y: region.y + y0, width: x1 - x0, height: y1 - y0 },
    score: prob,
    landmarks: landmarks.map(([lx, ly]) => [region.x + lx, region.y + ly] as [number, number]),
  }));
}

export function retinaFace(tile?: number): Candidate {
  const passes = { count: 0 };
  return {
    passes,
    name: tile ? `retinaface-tiled-${tile}` : "retinaface",
    source: `retinaface 0.0.6 mnet.25_v2.onnx (onnxruntime-node, input 640×640), ${tile ? `whole + ${tile}-px windows at ${SIZE / tile}×` : "whole photo letterboxed to 640"}`,
    async load() {
      if (detector) return;
      const dir = path.dirname(createRequire(import.meta.url).resolve("retinaface/package.json"));
      const session = await ort.InferenceSession.create(path.join(dir, "mnet.25_v2.onnx"), {
        intraOpNumThreads: 2,
        extra: { session: { intra_op: { allow_spinning: "0" } } },
      });
      // The package types these as onnxruntime-web's; onnxruntime-node's session and Tensor have the same run()
      // and getData() it calls.
      detector = new Retinaface(session as never, ort.Tensor as never, SIZE, SIZE);
    },
    async detect(image) {
      const whole = { x: 0, y: 0, width: image.width, height: image.height };
      passes.count++;
      const faces = await pass(image, whole);
      if (!tile) return faces;
      for (const window of planTiles(image.width, image.height, tile, Math.round(tile * 0.75))) {
        passes.count++;
        for (const face of await pass(image, window))
          if (!cutByTileEdge(face.box, window, image, 2)) faces.push(face);
      }
      return mergeAcrossPasses(faces);
    },
  };
}
