import { mergeAcrossPasses } from "../../lib/engine/merge";
import type { Box, Face, RgbImage } from "../../lib/engine/types";
import type { Candidate } from "./candidate";
import { cutAndScale } from "./pixels";
import { faceApiPeer } from "./tfjs-runtime";

/**
 * face-api's SSD MobileNet V1 (the bench peer, scripts/bench/face-api-peer.ts), alone or on the whole photo plus
 * 2×2 overlapping tiles at full resolution: SSD resizes its input to 512 px, so a tile shows small faces ~2× larger.
 */

async function detectIn(image: RgbImage, passes: { count: number }, region?: Box): Promise<Face[]> {
  passes.count++;
  const peer = await faceApiPeer();
  const view = region ? await cutAndScale(image, region, region.width, region.height) : image;
  const found = await peer.detect(view.data, view.width, view.height);
  return found.map(({ score, ...box }) => ({
    box: { ...box, x: box.x + (region?.x ?? 0), y: box.y + (region?.y ?? 0) },
    score,
    landmarks: [],
  }));
}

/** 2×2 tiles each 60 % of the photo's width and height, so that the middle band is in two tiles. */
function quarterTiles(width: number, height: number): Box[] {
  const w = Math.round(width * 0.6);
  const h = Math.round(height * 0.6);
  return [0, width - w].flatMap((x) => [0, height - h].map((y) => ({ x, y, width: w, height: h })));
}

export function faceApiSsd(tiled: boolean): Candidate {
  const passes = { count: 0 };
  return {
    passes,
    name: tiled ? "face-api-ssd-tiled" : "face-api-ssd",
    source: `@vladmandic/face-api 1.7.15 ssd_mobilenetv1 (tfjs-wasm, input 512×512)${tiled ? ", whole + 2×2 tiles" : ", one pass"}`,
    async load() {
      await faceApiPeer();
    },
    async detect(image) {
      const whole = await detectIn(image, passes);
      if (!tiled) return whole;
      const tiles = [];
      for (const tile of quarterTiles(image.width, image.height))
        tiles.push(...(await detectIn(image, passes, tile)));
      return mergeAcrossPasses([...whole, ...tiles]);
    },
  };
}
