/**
 * Minimal types for pdfjs-dist's standalone image decoders bundle, which the package ships without typings.
 * Only the JPEG 2000 decoder (OpenJPEG compiled to WebAssembly, inlined in the bundle) is used, by
 * lib/engine/image/decode-image.ts.
 */
declare module "pdfjs-dist/image_decoders/pdf.image_decoders.mjs" {
  export interface JpxDecoderOptions {
    /** Channels wanted: 1 (grey), 3 (RGB) or 4 (RGBA). */
    numComponents?: number;
    isIndexedColormap?: boolean;
    smaskInData?: boolean;
    reducePower?: number;
  }

  export class JpxError extends Error {}

  /** A class with static methods only, in pdf.js; typed as the object it is used as. */
  export const JpxImage: {
    /** Decodes a JP2 file or a raw J2K codestream to interleaved 8-bit samples; throws JpxError on bad data. */
    decode(data: Uint8Array, options?: JpxDecoderOptions): Uint8ClampedArray | null | undefined;
    /** Drops the cached OpenJPEG instance (and its WebAssembly memory); the next decode creates a new one. */
    cleanup(): void;
  };

  export const VerbosityLevel: { readonly ERRORS: 0; readonly WARNINGS: 1; readonly INFOS: 5 };
  export function setVerbosityLevel(level: number): void;
}
