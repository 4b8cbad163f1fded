/**
 * The one reader of ISO base media file format boxes (ISO/IEC 14496-12), the container of MP4, MOV, HEIF/HEIC/AVIF
 * and JPEG 2000's JP2. Reads sizes and types only, never trusts a size past the bytes it has, and stops at the
 * first malformed box instead of guessing.
 */

export interface BoxSpan {
  type: string;
  /** Offset of the box's payload (after its size and type, and the 64-bit size when there is one). */
  start: number;
  /** Offset just past the box, clamped to the range read. */
  end: number;
}

export function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The boxes laid end to end in bytes[start, end): a file's top level, or a container box's payload. */
export function readBoxes(bytes: Uint8Array, start = 0, end = bytes.length): BoxSpan[] {
  const view = viewOf(bytes);
  const boxes: BoxSpan[] = [];
  let offset = start;
  while (offset + 8 <= end) {
    let size = view.getUint32(offset);
    let headerSize = 8;
    if (size === 1) {
      // A 64-bit size, in practice only on a large mdat.
      if (offset + 16 > end) break;
      size = Number(view.getBigUint64(offset + 8));
      headerSize = 16;
    }
    // Size 0: the last box runs to the end.
    const boxEnd = size === 0 ? end : offset + size;
    if (size !== 0 && size < headerSize) break;
    boxes.push({
      type: ascii(bytes, offset + 4, offset + 8),
      start: offset + headerSize,
      end: Math.min(boxEnd, end),
    });
    offset = boxEnd;
  }
  return boxes;
}

/** The first box of `type` among those in bytes[start, end). */
export function findBox(bytes: Uint8Array, type: string, start = 0, end = bytes.length): BoxSpan | undefined {
  return readBoxes(bytes, start, end).find((box) => box.type === type);
}

/**
 * The brands of a file that starts with an ftyp box, or null when it doesn't. Brands say what a file claims to be
 * (HEIC photo, MP4 video, ...) and are read from the first bytes alone, which is all a sniffer has.
 */
export function fileTypeBrands(bytes: Uint8Array): { major: string; compatible: string[] } | null {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== "ftyp") return null;
  const boxEnd = Math.min(viewOf(bytes).getUint32(0), bytes.length);
  const compatible: string[] = [];
  for (let offset = 16; offset + 4 <= boxEnd; offset += 4) compatible.push(ascii(bytes, offset, offset + 4));
  return { major: ascii(bytes, 8, 12), compatible };
}
