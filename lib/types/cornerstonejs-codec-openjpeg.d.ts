/**
 * Minimal types for the OpenJPEG WebAssembly build in @cornerstonejs/codec-openjpeg (a devDependency), which the
 * tests of lib/engine/image/decode-image.ts use to make JPEG 2000 fixtures. The package ships no typings.
 */
declare module "@cornerstonejs/codec-openjpeg/wasmjs" {
  export interface J2KFrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
    isUsingColorTransform: boolean;
  }

  export interface J2KEncoder {
    /** The encoder's input buffer, in WebAssembly memory: interleaved samples, filled by the caller. */
    getDecodedBuffer(frame: J2KFrameInfo): Uint8Array;
    encode(): void;
    /** A raw J2K codestream (no JP2 container). */
    getEncodedBuffer(): Uint8Array;
    delete(): void;
  }

  export interface OpenJpegModule {
    J2KEncoder: new () => J2KEncoder;
  }

  /** Emscripten factory; `print`/`printErr` receive OpenJPEG's log lines. */
  const createOpenJpeg: (module?: {
    print?: (line: string) => void;
    printErr?: (line: string) => void;
  }) => Promise<OpenJpegModule>;
  export default createOpenJpeg;
}
