/**
 * How long the main thread stalls, and how much memory a process peaks at, while a large JPEG 2000 and a large BMP
 * are decoded: through decodeImage (the decoders run in a worker thread) and, as the peer, the same decoders called
 * on the main thread as they were before. Each case runs in its own process, so its peak RSS is its own.
 * Run: npx tsx scripts/bench-decoders.ts [--megapixels 48]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { decodeImage } from "../lib/engine/image/decode-image";
import { sharedImageDecoder } from "../lib/engine/image/image-decoder";
import { packageFile } from "../lib/engine/models/package-file";

const { values } = parseArgs({
  options: {
    megapixels: { type: "string", default: "48" },
    case: { type: "string" },
    file: { type: "string" },
  },
});

const CASES = {
  "jpeg2000-worker": "JPEG 2000, decodeImage (worker)",
  "jpeg2000-main": "JPEG 2000, OpenJPEG on the main thread (peer)",
  "bmp-worker": "BMP, decodeImage (worker)",
  "bmp-main": "BMP, bmpimagejs on the main thread (peer)",
} as const;

if (values.case && values.file) {
  const bytes = readFileSync(values.file);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const start = performance.now();
  if (values.case === "jpeg2000-main") {
    const { JpxImage } = await import("pdfjs-dist/image_decoders/pdf.image_decoders.mjs");
    JpxImage.decode(bytes, { numComponents: 3 });
    JpxImage.cleanup();
  } else if (values.case === "bmp-main") {
    const { decode } = await import("bmpimagejs");
    decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  } else {
    await decodeImage(bytes);
  }
  const seconds = (performance.now() - start) / 1000;
  // A blocked loop is only seen once it runs again.
  await new Promise((resolve) => setTimeout(resolve, 50));
  delay.disable();
  await sharedImageDecoder().close();
  console.log(
    JSON.stringify({ seconds, stallMs: delay.max / 1e6, peakMb: process.resourceUsage().maxRSS / 1024 }),
  );
  process.exit(0);
}

const megapixels = Number(values.megapixels);
const width = Math.round(Math.sqrt((megapixels * 1e6 * 3) / 2));
const height = Math.round((width * 2) / 3);
const { data } = await sharp(packageFile("@vladmandic/face-api", "demo/sample1.jpg"))
  .resize(width, height, { fit: "fill" })
  .removeAlpha()
  .raw()
  .toBuffer({ resolveWithObject: true });
const { default: createOpenJpeg } = await import("@cornerstonejs/codec-openjpeg/wasmjs");
const openJpeg = await createOpenJpeg({ print: () => {}, printErr: () => {} });
const encoder = new openJpeg.J2KEncoder();
encoder
  .getDecodedBuffer({
    width,
    height,
    bitsPerSample: 8,
    componentCount: 3,
    isSigned: false,
    isUsingColorTransform: true,
  })
  .set(data);
encoder.encode();
const dir = mkdtempSync(path.join(os.tmpdir(), "bench-decoders-"));
const files = { jpeg2000: path.join(dir, "large.j2k"), bmp: path.join(dir, "large.bmp") };
writeFileSync(files.jpeg2000, encoder.getEncodedBuffer());
encoder.delete();
writeFileSync(files.bmp, bmp24(data, width, height));

console.log(`${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP); each case in its own process`);
for (const [name, label] of Object.entries(CASES)) {
  const file = name.startsWith("bmp") ? files.bmp : files.jpeg2000;
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, process.argv[1] as string, "--case", name, "--file", file],
    {
      encoding: "utf8",
    },
  );
  const line = child.stdout.trim().split("\n").at(-1) ?? "";
  const { seconds, stallMs, peakMb } = JSON.parse(line) as {
    seconds: number;
    stallMs: number;
    peakMb: number;
  };
  console.log(
    `${label.padEnd(46)} ${seconds.toFixed(2)} s   longest main-thread stall ${stallMs.toFixed(0)} ms   peak RSS ${peakMb.toFixed(0)} MB`,
  );
}
function bmp24(rgb: Buffer, w: number, h: number): Buffer {
  const row = Math.ceil((w * 3) / 4) * 4;
  const out = Buffer.alloc(54 + row * h);
  out.write("BM", 0, "latin1");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(w, 18);
  out.writeInt32LE(-h, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const o = 54 + y * row + x * 3;
      out[o] = rgb[i + 2] ?? 0;
      out[o + 1] = rgb[i + 1] ?? 0;
      out[o + 2] = rgb[i] ?? 0;
    }
  }
  return out;
}
