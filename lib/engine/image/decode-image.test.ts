import { deflateSync } from "node:zlib";
import type { OpenJpegModule } from "@cornerstonejs/codec-openjpeg/wasmjs";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { HEIC_QUADRANTS, HEIC_QUADRANTS_IROT } from "../../../test/support/heic-fixtures";
import { emptyJpeg2000, manyComponentJpeg2000 } from "../../../test/support/hostile-files";
import { IMAGE_EXTENSIONS } from "../../media/media-types";
import { sniffImageFormat } from "../../media/sniff-media";
import { type DecodedImage, decodeImage, ImageDecodeError } from "./decode-image";
import { UNSUPPORTED_FORMAT_MESSAGE } from "./image-decode-error";
import { DEFAULT_DECODER_LIMITS, ImageDecoderWorker } from "./image-decoder";

// Every fixture is generated here, from one synthetic picture, except the two HEIC files (heic-fixtures.ts).

// ---------------------------------------------------------------------------------------------------------------
// The test picture: four flat quadrants, so orientation and colour survive lossy codecs and are easy to check.

type Rgb = readonly [number, number, number];
const W = 64;
const H = 48;
const RED: Rgb = [220, 30, 30];
const GREEN: Rgb = [30, 200, 30];
const BLUE: Rgb = [30, 30, 220];
const WHITE: Rgb = [240, 240, 240];

/** Top-left red, top-right green, bottom-left blue, bottom-right near-white. */
function quadrantColour(x: number, y: number, width = W, height = H): Rgb {
  if (y < height / 2) return x < width / 2 ? RED : GREEN;
  return x < width / 2 ? BLUE : WHITE;
}

function quadrantPixels(width = W, height = H): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set(quadrantColour(x, y, width, height), (y * width + x) * 3);
  }
  return rgb;
}

const PIXELS = quadrantPixels();
const picture = () => sharp(PIXELS, { raw: { width: W, height: H, channels: 3 } });

function pixelAt(image: DecodedImage, x: number, y: number): Rgb {
  const i = (y * image.width + x) * 3;
  return [image.data[i] ?? -1, image.data[i + 1] ?? -1, image.data[i + 2] ?? -1];
}

function expectColour(actual: Rgb, expected: Rgb, tolerance: number): void {
  for (let c = 0; c < 3; c++)
    expect(Math.abs((actual[c] ?? 0) - (expected[c] ?? 0))).toBeLessThanOrEqual(tolerance);
}

/** Samples the middle of each quadrant: far from the edges that lossy codecs smear. */
function expectQuadrants(image: DecodedImage, [tl, tr, bl, br]: readonly Rgb[], tolerance: number): void {
  const [left, right] = [Math.floor(image.width / 4), Math.floor((3 * image.width) / 4)];
  const [top, bottom] = [Math.floor(image.height / 4), Math.floor((3 * image.height) / 4)];
  expectColour(pixelAt(image, left, top), tl ?? RED, tolerance);
  expectColour(pixelAt(image, right, top), tr ?? GREEN, tolerance);
  expectColour(pixelAt(image, left, bottom), bl ?? BLUE, tolerance);
  expectColour(pixelAt(image, right, bottom), br ?? WHITE, tolerance);
}

function meanAbsoluteError(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

function expectRgbShape(image: DecodedImage, width: number, height: number): void {
  expect(image.width).toBe(width);
  expect(image.height).toBe(height);
  expect(image.data.length).toBe(width * height * 3);
}

async function decodeError(promise: Promise<unknown>): Promise<ImageDecodeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageDecodeError);
  return error as ImageDecodeError;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoders for the formats sharp cannot write: BMP by hand, JPEG 2000 with OpenJPEG's encoder from npm.

interface BmpOptions {
  bits: 8 | 24 | 32;
  topDown?: boolean;
  /** 32-bit only: write a BITMAPV4HEADER with an alpha mask, and these alpha values (one per pixel). */
  alpha?: Uint8Array;
}

/** A BMP writer covering the layouts that matter: bottom-up/top-down, row padding, palette, BI_RGB, BITFIELDS. */
function encodeBmp(
  rgb: Buffer,
  width: number,
  height: number,
  { bits, topDown = false, alpha }: BmpOptions,
): Buffer {
  const palette: Rgb[] = bits === 8 ? [RED, GREEN, BLUE, WHITE] : [];
  const infoSize = alpha ? 108 : 40;
  const dataOffset = 14 + infoSize + palette.length * 4;
  const stride = Math.ceil((width * bits) / 32) * 4;
  const file = Buffer.alloc(dataOffset + stride * height);
  file.write("BM", 0, "latin1");
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(dataOffset, 10);
  file.writeUInt32LE(infoSize, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(topDown ? -height : height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(bits, 28);
  file.writeUInt32LE(alpha ? 3 /* BI_BITFIELDS */ : 0 /* BI_RGB */, 30);
  file.writeUInt32LE(stride * height, 34);
  file.writeUInt32LE(palette.length, 46);
  if (alpha) {
    file.writeUInt32LE(0x00ff0000, 54);
    file.writeUInt32LE(0x0000ff00, 58);
    file.writeUInt32LE(0x000000ff, 62);
    file.writeUInt32LE(0xff000000, 66);
    file.write("BGRs", 70, "latin1"); // LCS_sRGB, little-endian "sRGB"
  }
  palette.forEach(([r, g, b], i) => {
    file.set([b, g, r, 0], 14 + infoSize + i * 4);
  });
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      const [r, g, b] = [rgb[p] ?? 0, rgb[p + 1] ?? 0, rgb[p + 2] ?? 0];
      if (bits === 8) {
        file[row + x] = palette.findIndex(([pr, pg, pb]) => pr === r && pg === g && pb === b);
      } else {
        const o = row + (x * bits) / 8;
        file.set([b, g, r], o);
        // Without an alpha mask the fourth byte is unused: junk in it must not become transparency.
        if (bits === 32) file[o + 3] = alpha?.[y * width + x] ?? 0x55;
      }
    }
  }
  return file;
}

let openJpeg: OpenJpegModule;

/** A lossless J2K codestream of interleaved 8-bit samples. */
function encodeJ2k(samples: Uint8Array, width: number, height: number, components: number): Buffer {
  const encoder = new openJpeg.J2KEncoder();
  try {
    const input = encoder.getDecodedBuffer({
      width,
      height,
      bitsPerSample: 8,
      componentCount: components,
      isSigned: false,
      isUsingColorTransform: components >= 3,
    });
    input.set(samples);
    encoder.encode();
    return Buffer.from(encoder.getEncodedBuffer());
  } finally {
    encoder.delete();
  }
}

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, "latin1");
  return Buffer.concat([header, body]);
}

/** Wraps a codestream in the JP2 container (ISO/IEC 15444-1 annex I): signature, ftyp, jp2h, jp2c. */
function wrapJp2(codestream: Buffer, width: number, height: number, components: number): Buffer {
  const ihdr = Buffer.alloc(14);
  ihdr.writeUInt32BE(height, 0);
  ihdr.writeUInt32BE(width, 4);
  ihdr.writeUInt16BE(components, 8);
  ihdr.set([7 /* 8 bits, unsigned */, 7 /* compression: JPEG 2000 */, 0, 0], 10);
  const colr = Buffer.alloc(7);
  colr.set([1 /* enumerated colour space */, 0, 0], 0);
  colr.writeUInt32BE(components >= 3 ? 16 /* sRGB */ : 17 /* greyscale */, 3);
  const header = [box("ihdr", ihdr), box("colr", colr)];
  if (components === 4) {
    // Channel definitions: three colours, then an alpha channel for the whole image.
    const cdef = Buffer.alloc(2 + 4 * 6);
    cdef.writeUInt16BE(4, 0);
    [
      [0, 0, 1],
      [1, 0, 2],
      [2, 0, 3],
      [3, 1, 0],
    ].forEach(([channel = 0, type = 0, association = 0], i) => {
      cdef.writeUInt16BE(channel, 2 + i * 6);
      cdef.writeUInt16BE(type, 4 + i * 6);
      cdef.writeUInt16BE(association, 6 + i * 6);
    });
    header.push(box("cdef", cdef));
  }
  return Buffer.concat([
    Buffer.from([0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]),
    box("ftyp", Buffer.from("jp2 \0\0\0\0jp2 ", "latin1")),
    box("jp2h", ...header),
    box("jp2c", codestream),
  ]);
}

/** Rewrites the brands in an ISO-BMFF ftyp box, to make a HEIF file whose brands do not name its codec. */
function withGenericHeifBrands(file: Buffer): Buffer {
  const copy = Buffer.from(file);
  const ftypEnd = copy.readUInt32BE(0);
  copy.write("mif1", 8, "latin1");
  for (let offset = 16; offset + 4 <= ftypEnd; offset += 4) copy.write("mif1", offset, "latin1");
  return copy;
}

// ---------------------------------------------------------------------------------------------------------------

/** CRC-32 as PNG chunks use it (zlib.crc32 only exists from Node 20.15). */
function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// ---------------------------------------------------------------------------------------------------------------

const encoded: Record<string, Buffer> = {};

beforeAll(async () => {
  // @cornerstonejs/codec-openjpeg is a devDependency, used only to make JPEG 2000 fixtures.
  const { default: createOpenJpeg } = await import("@cornerstonejs/codec-openjpeg/wasmjs");
  openJpeg = await createOpenJpeg({ print: () => {}, printErr: () => {} });

  encoded.png = await picture().png().toBuffer();
  encoded.jpeg = await picture().jpeg({ quality: 90 }).toBuffer();
  encoded.webp = await picture().webp({ quality: 90 }).toBuffer();
  encoded.webpLossless = await picture().webp({ lossless: true }).toBuffer();
  encoded.tiff = await picture().tiff({ compression: "lzw" }).toBuffer();
  encoded.avif = await picture().avif({ quality: 80 }).toBuffer();
  encoded.heic = HEIC_QUADRANTS;
  encoded.bmp = encodeBmp(PIXELS, W, H, { bits: 24 });
  encoded.j2k = encodeJ2k(PIXELS, W, H, 3);
  encoded.jp2 = wrapJp2(encoded.j2k, W, H, 3);
});

describe("sniffImageFormat", () => {
  it.each([
    ["png", "png"],
    ["jpeg", "jpeg"],
    ["webp", "webp"],
    ["tiff", "tiff"],
    ["avif", "avif"],
    ["heic", "heic"],
    ["bmp", "bmp"],
    ["jp2", "jp2"],
    ["j2k", "j2k"],
  ])("recognises %s", (name, format) => {
    expect(sniffImageFormat(encoded[name] as Buffer)).toBe(format);
  });

  it("calls a HEIF whose brands do not name the codec plain heif", () => {
    expect(sniffImageFormat(withGenericHeifBrands(HEIC_QUADRANTS))).toBe("heif");
  });

  it("recognises nothing else", async () => {
    expect(
      sniffImageFormat(Buffer.from("BM is how this text file starts, but it is no bitmap at all")),
    ).toBeNull();
    expect(sniffImageFormat(await picture().gif().toBuffer())).toBeNull();
    expect(sniffImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImageFormat(Buffer.from("\0\0\0\x18ftypmp42\0\0\0\0mp42isom", "latin1"))).toBeNull();
    expect(sniffImageFormat(Buffer.alloc(0))).toBeNull();
  });
});

describe("decodeImage decodes every supported format to upright RGB", () => {
  it.each([
    ["png", "png", 0],
    ["tiff", "tiff", 0],
    ["webpLossless", "webp", 0],
    ["bmp", "bmp", 0],
    ["j2k", "j2k", 0],
    ["jp2", "jp2", 0],
    ["jpeg", "jpeg", 4],
    ["webp", "webp", 4],
    ["avif", "avif", 6],
    ["heic", "heic", 8],
  ])("%s", async (name, format, maxMeanError) => {
    const image = await decodeImage(encoded[name] as Buffer);
    expect(image.format).toBe(format);
    expectRgbShape(image, W, H);
    expectQuadrants(image, [RED, GREEN, BLUE, WHITE], 24);
    expect(meanAbsoluteError(image.data, PIXELS)).toBeLessThanOrEqual(maxMeanError);
  });

  it("keeps a HEIC upright by applying its irot rotation", async () => {
    const image = await decodeImage(HEIC_QUADRANTS_IROT);
    // Rotated a quarter turn clockwise: what was the left column is now the top row.
    expectRgbShape(image, H, W);
    expectQuadrants(image, [BLUE, RED, WHITE, GREEN], 24);
  });

  it("finds the codec of a HEIF with codec-neutral brands (HEVC to libheif, AV1 to sharp)", async () => {
    const heic = await decodeImage(withGenericHeifBrands(HEIC_QUADRANTS));
    expect(heic.format).toBe("heic");
    expectQuadrants(heic, [RED, GREEN, BLUE, WHITE], 24);
    const avif = await decodeImage(withGenericHeifBrands(encoded.avif as Buffer));
    expect(avif.format).toBe("avif");
    expectQuadrants(avif, [RED, GREEN, BLUE, WHITE], 24);
  });

  it.each([
    [3, 180, [WHITE, BLUE, GREEN, RED]],
    [6, 90, [BLUE, RED, WHITE, GREEN]],
    [8, 270, [GREEN, WHITE, RED, BLUE]],
  ] as const)(
    "applies EXIF orientation %i (%i degrees clockwise)",
    async (orientation, degrees, quadrants) => {
      const jpeg = await picture().jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer();
      const image = await decodeImage(jpeg);
      if (degrees === 180) expectRgbShape(image, W, H);
      else expectRgbShape(image, H, W);
      expectQuadrants(image, quadrants, 24);
    },
  );

  it("flattens PNG transparency onto white", async () => {
    // Left half fully transparent over black, right half opaque, a half-transparent column in between.
    const rgba = Buffer.alloc(W * H * 4);
    for (let i = 0; i < W * H; i++) {
      const x = i % W;
      rgba.set(PIXELS.subarray(i * 3, i * 3 + 3), i * 4);
      if (x < W / 2) rgba.set([0, 0, 0], i * 4);
      rgba[i * 4 + 3] = x < W / 2 ? 0 : x === W / 2 ? 128 : 255;
    }
    const png = await sharp(rgba, { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toBuffer();
    const image = await decodeImage(png);
    expectRgbShape(image, W, H);
    expectQuadrants(image, [[255, 255, 255], GREEN, [255, 255, 255], WHITE], 0);
    // 50% of green (30, 200, 30) over white.
    expectColour(pixelAt(image, W / 2, 0), [143, 228, 143], 2);
  });

  it("expands greyscale to three equal channels", async () => {
    const grey = Buffer.alloc(W * H);
    for (let i = 0; i < grey.length; i++) grey[i] = i % 256;
    for (const file of [
      await sharp(grey, { raw: { width: W, height: H, channels: 1 } })
        .png()
        .toBuffer(),
      await sharp(grey, { raw: { width: W, height: H, channels: 1 } })
        .toColourspace("b-w")
        .jpeg()
        .toBuffer(),
    ]) {
      const image = await decodeImage(file);
      expectRgbShape(image, W, H);
      for (let i = 0; i < W * H; i++) {
        expect(image.data[i * 3]).toBe(image.data[i * 3 + 1]);
        expect(image.data[i * 3]).toBe(image.data[i * 3 + 2]);
      }
      expect(Math.abs((image.data[100 * 3] ?? 0) - 100)).toBeLessThanOrEqual(3);
    }
  });

  it("scales 16-bit PNG down to 8 bits", async () => {
    const png16 = await picture().toColourspace("rgb16").png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe("ushort");
    const image = await decodeImage(png16);
    expectRgbShape(image, W, H);
    expect(image.data.equals(PIXELS)).toBe(true);
  });

  it("converts CMYK JPEG to RGB", async () => {
    const cmyk = await picture().toColourspace("cmyk").jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const image = await decodeImage(cmyk);
    expectRgbShape(image, W, H);
    // sRGB -> CMYK -> sRGB through print profiles clips saturated colours, so only check that each quadrant keeps
    // its dominant channel and that light stays light (a CMYK file read as RGB would come out inverted).
    const dominant = ([r, g, b]: Rgb) => [r, g, b].indexOf(Math.max(r, g, b));
    expect(dominant(pixelAt(image, 16, 12))).toBe(0);
    expect(dominant(pixelAt(image, 48, 12))).toBe(1);
    expect(dominant(pixelAt(image, 16, 36))).toBe(2);
    expect(Math.min(...pixelAt(image, 48, 36))).toBeGreaterThan(200);
  });
});

describe("BMP layouts", () => {
  // 63 pixels wide: 24-bit rows need a byte of padding, 8-bit rows one more.
  const width = 63;
  const rgb = quadrantPixels(width, H);

  it.each([
    ["24-bit bottom-up", { bits: 24 } as const],
    ["24-bit top-down", { bits: 24, topDown: true } as const],
    ["8-bit palette", { bits: 8 } as const],
    ["32-bit BI_RGB (unused fourth byte is not transparency)", { bits: 32 } as const],
    [
      "32-bit with an all-zero alpha mask (shown opaque, as browsers do)",
      { bits: 32, alpha: new Uint8Array(width * H) } as const,
    ],
  ])("%s", async (_name, options) => {
    const image = await decodeImage(encodeBmp(rgb, width, H, options));
    expect(image.format).toBe("bmp");
    expectRgbShape(image, width, H);
    expect(image.data.equals(rgb)).toBe(true);
  });

  it("32-bit with real alpha is flattened onto white", async () => {
    const alpha = new Uint8Array(width * H).map((_, i) => (i % width < width / 2 ? 0 : 255));
    const image = await decodeImage(encodeBmp(rgb, width, H, { bits: 32, alpha }));
    expectQuadrants(image, [[255, 255, 255], GREEN, [255, 255, 255], WHITE], 0);
  });
});

describe("JPEG 2000 variants", () => {
  it("greyscale JP2", async () => {
    const grey = Buffer.alloc(W * H);
    for (let i = 0; i < grey.length; i++) grey[i] = (i * 3) % 256;
    const image = await decodeImage(wrapJp2(encodeJ2k(grey, W, H, 1), W, H, 1));
    expectRgbShape(image, W, H);
    for (let i = 0; i < W * H; i++) {
      expect([image.data[i * 3], image.data[i * 3 + 1], image.data[i * 3 + 2]]).toEqual([
        grey[i],
        grey[i],
        grey[i],
      ]);
    }
  });

  it("RGBA JP2 is flattened onto white", async () => {
    const rgba = Buffer.alloc(W * H * 4);
    for (let i = 0; i < W * H; i++) {
      rgba.set(PIXELS.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = i % W < W / 2 ? 0 : 255;
    }
    const image = await decodeImage(wrapJp2(encodeJ2k(rgba, W, H, 4), W, H, 4));
    expectRgbShape(image, W, H);
    expectQuadrants(image, [[255, 255, 255], GREEN, [255, 255, 255], WHITE], 0);
  });
});

describe("refusals", () => {
  it("refuses a text file named .png as unsupported_format, naming the supported formats", async () => {
    const error = await decodeError(
      decodeImage(Buffer.from("This is a text file that someone named photo.png\n")),
    );
    expect(error.code).toBe("unsupported_format");
    expect(error.message).toBe(UNSUPPORTED_FORMAT_MESSAGE);
    expect(error.message).toBe(
      "Unsupported image format. Supported: png, jpg, jpeg, jfif, heic, heif, webp, avif, jp2, tiff, tif, bmp",
    );
    for (const extension of IMAGE_EXTENSIONS) expect(error.message).toContain(extension);
  });

  it("refuses GIF and empty input as unsupported_format", async () => {
    expect((await decodeError(decodeImage(await picture().gif().toBuffer()))).code).toBe(
      "unsupported_format",
    );
    expect((await decodeError(decodeImage(Buffer.alloc(0)))).code).toBe("unsupported_format");
  });

  it("refuses a 20000x20000 PNG bomb from its header, fast and without decoding it", async () => {
    // A valid 1-bit greyscale PNG, all black: 400 megapixels (1.2 GB as RGB) in about 50 KB.
    const side = 20_000;
    const rowBytes = 1 + side / 8; // filter byte + packed bits
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(side, 0);
    ihdr.writeUInt32BE(side, 4);
    ihdr.set([1 /* bit depth */, 0 /* greyscale */, 0, 0, 0], 8);
    const idat = deflateSync(Buffer.alloc(rowBytes * side), { level: 9 });
    const bomb = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk("IHDR", ihdr),
      pngChunk("IDAT", idat),
      pngChunk("IEND", Buffer.alloc(0)),
    ]);
    expect(bomb.length).toBeLessThan(500_000);

    const rssBefore = process.memoryUsage().rss;
    const error = await decodeError(decodeImage(bomb));
    expect(error.code).toBe("too_many_pixels");
    expect(error.message).toContain("20000x20000");
    // Refused from the header: decoding 400 megapixels would have taken 1.2 GB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it("refuses huge BMP and JPEG 2000 headers before decoding", async () => {
    const bmp = encodeBmp(quadrantPixels(4, 4), 4, 4, { bits: 24 });
    bmp.writeInt32LE(30_000, 18);
    bmp.writeInt32LE(30_000, 22);
    expect((await decodeError(decodeImage(bmp))).code).toBe("too_many_pixels");

    const j2k = Buffer.from(encoded.j2k as Buffer);
    j2k.writeUInt32BE(30_000, 8); // SIZ Xsiz
    j2k.writeUInt32BE(30_000, 12); // SIZ Ysiz
    expect((await decodeError(decodeImage(j2k))).code).toBe("too_many_pixels");
  });

  it("checks every JPEG 2000 header field that sizes an allocation before decoding", async () => {
    const rssBefore = process.memoryUsage().rss;
    const many = await decodeError(decodeImage(manyComponentJpeg2000()));
    expect(many.message).toMatch(/16384 components; at most 4/);
    const empty = await decodeError(decodeImage(emptyJpeg2000()));
    expect(empty.message).toMatch(/62500 tiles; at most 4096/);
    // Before these checks OpenJPEG took 2.1 GB and 800 MB for them.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);

    const j2k = encoded.j2k as Buffer;
    const withoutTiles = j2k.subarray(0, j2k.indexOf(Buffer.from([0xff, 0x90])));
    expect((await decodeError(decodeImage(withoutTiles))).message).toMatch(/corrupt/);
    const sixteenBits = Buffer.from(j2k);
    sixteenBits[42] = 31; // Ssiz of the first component: 32-bit samples
    expect((await decodeError(decodeImage(sixteenBits))).message).toMatch(/32-bit samples/);
    const zeroTile = Buffer.from(j2k);
    zeroTile.writeUInt32BE(0, 24); // XTsiz
    expect((await decodeError(decodeImage(zeroTile))).code).toBe("corrupt");
  });

  it("refuses a BMP whose pixel data is shorter than its header says", async () => {
    const bmp = encodeBmp(quadrantPixels(), W, H, { bits: 24 });
    bmp.writeInt32LE(H * 40, 22);
    expect((await decodeError(decodeImage(bmp))).message).toMatch(/corrupt/);
  });

  it("decodes in a worker that a failure replaces with a fresh one", async () => {
    const limits = { ...DEFAULT_DECODER_LIMITS, timeoutMs: 1 };
    const decoder = new ImageDecoderWorker(limits);
    try {
      const bytes = encoded.jp2 as Buffer;
      const header = { width: W, height: H, components: 3 };
      await expect(decoder.decode("jpx", bytes, header, 1e6)).rejects.toThrow(/time limit/);
      limits.timeoutMs = 60_000;
      const pixels = await decoder.decode("jpx", bytes, header, 1e6);
      expect(pixels).toMatchObject({ width: W, height: H, channels: 3 });
      expect(decoder.started).toBe(2);
    } finally {
      await decoder.close();
    }
  });

  it.each(["png", "jpeg", "webp", "tiff", "avif", "heic", "bmp", "j2k", "jp2"])(
    "applies maxPixels to %s",
    async (name) => {
      const error = await decodeError(decodeImage(encoded[name] as Buffer, { maxPixels: W * H - 1 }));
      expect(error.code).toBe("too_many_pixels");
      await expect(decodeImage(encoded[name] as Buffer, { maxPixels: W * H })).resolves.toBeDefined();
    },
  );

  it.each(["jpeg", "png", "webp", "tiff", "avif", "heic", "bmp", "j2k", "jp2"])(
    "refuses a truncated %s as corrupt, without hanging",
    async (name) => {
      const file = encoded[name] as Buffer;
      for (const keep of [0.5, 0.8]) {
        const error = await decodeError(decodeImage(file.subarray(0, Math.floor(file.length * keep))));
        expect(error.code).toBe("corrupt");
        expect(error.message).toMatch(/corrupt or truncated/);
      }
    },
    15_000,
  );

  it("keeps working after a corrupt file", async () => {
    for (const name of ["heic", "jp2", "bmp"]) {
      const file = encoded[name] as Buffer;
      await decodeError(decodeImage(file.subarray(0, file.length / 2)));
      expectRgbShape(await decodeImage(file), W, H);
    }
  });
});
