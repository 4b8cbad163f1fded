import { crc32, deflateSync } from "node:zlib";

/** Files an attacker, or an unlucky user, might send. */

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A valid 1-bit PNG of 20000×20000 black pixels: 400 megapixels in about 50 KB. */
export function pngBomb(side = 20_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([1, 0, 0, 0, 0], 8);
  const idat = deflateSync(Buffer.alloc((1 + side / 8) * side), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", idat),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

export const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script><circle r="40"/></svg>',
);
export const HTML = Buffer.from(
  "<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
);

function marker(code: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(code, 0);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** SOC and a SIZ marker for a `side`² image of `components` 8-bit components, in tiles of `tile`². */
function jpeg2000Start(side: number, components: number, tile = side): Buffer {
  const siz = Buffer.alloc(36 + 3 * components);
  siz.writeUInt16BE(0, 0); // Rsiz
  siz.writeUInt32BE(side, 2); // Xsiz
  siz.writeUInt32BE(side, 6); // Ysiz
  siz.writeUInt32BE(tile, 18); // XTsiz
  siz.writeUInt32BE(tile, 22); // YTsiz
  siz.writeUInt16BE(components, 34);
  for (let c = 0; c < components; c++) siz.set([7, 1, 1], 36 + 3 * c);
  return Buffer.concat([Buffer.from([0xff, 0x4f]), marker(0xff51, siz)]);
}

/** COD (5 levels, 64×64 code-blocks) and QCD (no quantisation) for 3-component data. */
const JPEG2000_CODING = Buffer.concat([
  marker(0xff52, Buffer.from([0, 0, 0, 1, 1, 5, 4, 4, 0, 1])),
  marker(0xff5c, Buffer.from([0x40, ...Array.from({ length: 16 }, () => 0x48)])),
]);

/** A tile-part header (SOT) for tile 0 of one part, its SOD, and nothing else: a tile with no data. */
const EMPTY_TILE = Buffer.concat([
  marker(0xff90, Buffer.from([0, 0, 0, 0, 0, 14, 0, 1])),
  Buffer.from([0xff, 0x93]),
]);

/**
 * A 102-byte JPEG 2000 codestream that declares a 7000 × 7000 RGB image (within the pixel cap) cut into 62,500
 * tiles of 28 × 28, and no data: OpenJPEG sets up every tile (800 MB) before it finds nothing to decode.
 */
export function emptyJpeg2000(): Buffer {
  return Buffer.concat([jpeg2000Start(7000, 3, 28), JPEG2000_CODING, EMPTY_TILE, Buffer.from([0xff, 0xd9])]);
}

/**
 * A 49 KB JPEG 2000 codestream whose header declares 7000 × 7000 pixels of 16,384 components: OpenJPEG spends 6 s
 * and 2.1 GB before it gives up on it.
 */
export function manyComponentJpeg2000(): Buffer {
  return Buffer.concat([jpeg2000Start(7000, 16_384), JPEG2000_CODING, EMPTY_TILE, Buffer.from([0xff, 0xd9])]);
}
