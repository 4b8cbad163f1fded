/**
 * Benchmark peer: @vladmandic/face-api SSD MobileNet V1 on the tfjs WASM backend.
 *
 * Uses face-api's `dist/face-api.node-wasm.js` build: it is the only dist that
 * `require`s the plain `@tensorflow/tfjs` + `@tensorflow/tfjs-backend-wasm`
 * packages (face-api.node.js / node-gpu.js need native tfjs-node, the esm/iife
 * builds bundle their own tfjs copy). It is built against tfjs 4.22.0, so the
 * host must install @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm 4.22.0
 * and end up with a single @tensorflow/tfjs-core in the tree.
 *
 * Everything is read from node_modules: no network at install or run time.
 */
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as faceapi from "@vladmandic/face-api/dist/face-api.node-wasm.js";

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export interface FaceApiPeer {
  name: string;
  detect(rgb: Uint8Array, width: number, height: number): Promise<FaceBox[]>;
  dispose(): void;
}

export interface FaceApiPeerOptions {
  /** Detection score threshold (face-api's own default is also 0.5). */
  minConfidence?: number;
  /**
   * Requested wasm thread count. tfjs-backend-wasm 4.22 hard-codes
   * WASM_HAS_MULTITHREAD_SUPPORT=false under Node (tfjs issue #3830), so it
   * always loads the single-threaded SIMD binary and this is effectively a
   * no-op; it is forwarded only so a future tfjs that enables Node threads
   * honours it.
   */
  threads?: number;
}

// Resolve through the module graph rather than cwd so the benchmark works
// from any working directory and follows npm's hoisting decisions.
const localRequire = createRequire(import.meta.url);
const pkgDir = (name: string): string => dirname(localRequire.resolve(`${name}/package.json`));

// The wasm backend is process-global state: initialise it once and share it
// between peers, otherwise a second setBackend() would re-instantiate wasm.
let backendReady: Promise<void> | undefined;

function initBackend(threads: number | undefined): Promise<void> {
  backendReady ??= (async () => {
    // In Node, emscripten reads the .wasm with fs.readFileSync(prefix + file),
    // so a plain directory path (with trailing separator) is all it needs;
    // usePlatformFetch must stay false or it would try fetch() on a file path.
    setWasmPaths(join(pkgDir("@tensorflow/tfjs-backend-wasm"), "dist") + sep);
    if (threads !== undefined) setThreadsCount(threads);
    // Loading face-api/tfjs already registered cpu+webgl+wasm; choosing wasm
    // before any op runs also keeps tfjs' "install tfjs-node" banner quiet.
    // Emscripten's Node glue (run inside setBackend) adds process-level
    // uncaughtException/unhandledRejection handlers that rethrow, which turns
    // any unrelated error into a dump of a ~30 KB minified source line and
    // fights test runners' own handlers. Take back whatever it added.
    const before = new Set<unknown>([
      ...process.listeners("uncaughtException"),
      ...process.listeners("unhandledRejection"),
    ]);
    try {
      if (!(await tf.setBackend("wasm")))
        throw new Error("face-api peer: tfjs wasm backend failed to initialise");
      await tf.ready();
    } finally {
      const added = <L>(now: L[]): L[] => now.filter((l) => !before.has(l));
      for (const l of added(process.listeners("uncaughtException")))
        process.removeListener("uncaughtException", l);
      for (const l of added(process.listeners("unhandledRejection")))
        process.removeListener("unhandledRejection", l);
    }
  })();
  return backendReady;
}

let modelReady: Promise<void> | undefined;

function loadModel(): Promise<void> {
  // The SSD net is a module-level singleton inside face-api; load its weights once.
  modelReady ??= faceapi.nets.ssdMobilenetv1.loadFromDisk(join(pkgDir("@vladmandic/face-api"), "model"));
  return modelReady;
}

export async function createFaceApiPeer(opts: FaceApiPeerOptions = {}): Promise<FaceApiPeer> {
  await initBackend(opts.threads);
  await loadModel();

  // maxResults default (100) could clip crowd shots; 200 keeps recall honest.
  const options = new faceapi.SsdMobilenetv1Options({
    minConfidence: opts.minConfidence ?? 0.5,
    maxResults: 200,
  });
  let disposed = false;

  return {
    name: `face-api@${faceapi.version} ssd_mobilenetv1 (tfjs-wasm ${tf.version_core}, simd=${String(tf.env().getBool("WASM_HAS_SIMD_SUPPORT"))})`,

    async detect(rgb, width, height) {
      if (disposed) throw new Error("face-api peer: detect() after dispose()");
      if (rgb.length !== width * height * 3) {
        throw new Error(`face-api peer: expected ${width * height * 3} RGB bytes, got ${rgb.length}`);
      }
      // Typed through faceapi.tf so the Tensor3D matches face-api's bundled
      // declarations (a @tensorflow/tfjs Tensor3D is not assignable: protected members).
      // int32 because tfjs has no uint8 dtype; face-api casts to float itself.
      const input = faceapi.tf.tensor3d(rgb, [height, width, 3], "int32");
      try {
        // Boxes come back already scaled to the input tensor's pixel size.
        const found = await faceapi.detectAllFaces(input, options);
        return found.map(({ box, score }) => ({
          x: box.x,
          y: box.y,
          width: box.width,
          height: box.height,
          score,
        }));
      } finally {
        input.dispose();
      }
    },

    dispose() {
      // Weights and the wasm backend are shared process-wide (see above), so
      // only this handle is retired; the process exit frees the rest.
      disposed = true;
    },
  };
}
