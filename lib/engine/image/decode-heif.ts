import { findBox, readBoxes } from "../../media/iso-bmff";
import { decodeOffThread } from "./decode-off-thread";
import { decodeWithSharp } from "./decode-with-sharp";
import type { DecodedImage } from "./finish-pixels";
import { unsupported } from "./image-decode-error";

/**
 * HEIF is a container: AVIF is HEIF with AV1 inside, HEIC is HEIF with HEVC inside. Brands say which only by
 * convention (and a generic "mif1" says nothing), so the decoder is chosen from the codec configuration
 * property of the items (av1C or hvcC), and brands are the fallback. sharp's own metadata is no help here: it
 * reports the codec from the brand too.
 *
 * AV1 goes to sharp. HEVC goes to libheif-js (libheif + libde265 in WebAssembly) in the decoder worker: prebuilt
 * sharp has no HEVC decoder, because of the HEVC patent licensing, so it can read a HEIC's header but not its
 * pixels. libheif reads the container's dimensions (ispe) in the worker and refuses above maxPixels before
 * decoding.
 */
export function decodeHeifFamily(
  bytes: Buffer,
  sniffed: "avif" | "heic" | "heif",
  maxPixels: number,
): Promise<DecodedImage> {
  const codec = heifCodec(bytes) ?? (sniffed === "avif" ? "av1" : sniffed === "heic" ? "hevc" : null);
  if (codec === "av1") return decodeWithSharp(bytes, "avif", maxPixels);
  if (codec === "hevc") return decodeOffThread("heic", "heic", bytes, {}, maxPixels);
  throw unsupported(new Error("HEIF file with neither an AV1 nor an HEVC image"));
}

/** meta (a full box: 4 bytes of version and flags first) > iprp > ipco: the AV1 or HEVC configuration box. */
function heifCodec(bytes: Buffer): "av1" | "hevc" | null {
  const meta = findBox(bytes, "meta");
  const iprp = meta && findBox(bytes, "iprp", meta.start + 4, meta.end);
  const ipco = iprp && findBox(bytes, "ipco", iprp.start, iprp.end);
  if (!ipco) return null;
  const types = new Set(readBoxes(bytes, ipco.start, ipco.end).map((box) => box.type));
  if (types.has("av1C")) return "av1";
  if (types.has("hvcC")) return "hevc";
  return null;
}
