/** Recognise a video container from its first bytes: ISO BMFF (mp4, m4v, mov) or Matroska/WebM. */
export function sniffVideo(head: Uint8Array): "mp4" | "webm" | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 12 && ["ftyp", "moov", "mdat", "wide", "free", "skip"].includes(ascii(4, 8)))
    return "mp4";
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3)
    return "webm";
  return null;
}
