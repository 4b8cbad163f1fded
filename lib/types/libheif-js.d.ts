/**
 * Minimal types for the part of libheif-js (https://github.com/catdad-experiments/libheif-js) that
 * lib/engine/image/image-decoder-worker.mjs uses (plain JavaScript, so these types document it). The package ships no
 * TypeScript entry point; its libheif.d.ts only types the raw `_heif_*` exports, not the embind API used there.
 *
 * `libheif-bundle.js` is the WebAssembly build with the .wasm inlined; its default export is the Emscripten
 * factory, and every call creates an independent instance.
 */
declare module "libheif-js/libheif-wasm/libheif-bundle.js" {
  /** An embind enum member: compare members by identity, or read the numeric `value`. */
  export interface HeifEnumValue {
    readonly value: number;
  }

  export interface HeifError {
    code: HeifEnumValue;
    subcode: HeifEnumValue;
    message: string;
  }

  /** Opaque handles owned by the WebAssembly heap; release them with the matching *_release / *_free call. */
  export type HeifContext = { readonly __brand: "heif_context" };
  export type HeifImageHandle = { readonly __brand: "heif_image_handle"; readonly code?: undefined };
  export type HeifImagePointer = { readonly __brand: "heif_image" };

  export interface HeifPlane {
    id: HeifEnumValue;
    width: number;
    height: number;
    /** Bytes from the start of one row to the next; can be larger than width * bytes per pixel. */
    stride: number;
    data: Uint8Array;
  }

  export interface HeifDecodedImage {
    image: HeifImagePointer;
    width: number;
    height: number;
    channels: HeifPlane[];
    code?: undefined;
  }

  export interface LibheifModule {
    /** Present on some builds; the bundled build is ready as soon as the factory returns. */
    ready?: Promise<unknown>;
    HEAPU8: Uint8Array;
    heif_get_version(): string;
    heif_error_code: Record<string, HeifEnumValue>;
    heif_colorspace: { heif_colorspace_RGB: HeifEnumValue } & Record<string, HeifEnumValue>;
    heif_chroma: {
      heif_chroma_interleaved_RGB: HeifEnumValue;
      heif_chroma_interleaved_RGBA: HeifEnumValue;
    } & Record<string, HeifEnumValue>;
    heif_channel: { heif_channel_interleaved: HeifEnumValue } & Record<string, HeifEnumValue>;
    heif_context_alloc(): HeifContext;
    heif_context_free(context: HeifContext): void;
    heif_context_read_from_memory(context: HeifContext, data: Uint8Array): HeifError;
    heif_js_context_get_primary_image_handle(context: HeifContext): HeifImageHandle | HeifError;
    heif_image_handle_get_width(handle: HeifImageHandle): number;
    heif_image_handle_get_height(handle: HeifImageHandle): number;
    heif_image_handle_has_alpha_channel(handle: HeifImageHandle): number;
    heif_image_handle_release(handle: HeifImageHandle): void;
    heif_js_decode_image2(
      handle: HeifImageHandle,
      colorspace: HeifEnumValue,
      chroma: HeifEnumValue,
    ): HeifDecodedImage | HeifError;
    heif_image_release(image: HeifImagePointer): void;
  }

  const createLibheif: () => LibheifModule;
  export default createLibheif;
}
