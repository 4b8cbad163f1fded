// LiteRT (TensorFlow Lite) in a Node worker thread, for the .tflite models that npm packages ship
// (@mediapipe/face_detection's full-range detector). @litertjs/core is written for browsers and web workers: its
// loader calls importScripts() on an Emscripten script that defines `ModuleFactory`, and that script looks for
// `require` and `__dirname` to read its .wasm file from disk under Node. This module supplies those few globals,
// in the inference worker only, and runs models on the CPU (XNNPACK in WebAssembly, one thread per worker).
//
// Plain JavaScript for the same reason as inference-worker.mjs: it is loaded with no TypeScript loader.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

const require = createRequire(import.meta.url);

let loading = null;

/** LiteRT's module, loaded once per thread on first use (ONNX-only work never pays for its 9 MB of wasm). */
function liteRt() {
  if (!loading) loading = load();
  return loading;
}

async function load() {
  const wasmDir = path.join(path.dirname(require.resolve("@litertjs/core")), "..", "wasm");
  globalThis.self ??= globalThis;
  globalThis.require ??= require;
  globalThis.__dirname ??= wasmDir;
  globalThis.importScripts = (file) => {
    const code = readFileSync(String(file), "utf8");
    // The script declares `var ModuleFactory`; evaluated as a script its var would stay in the vm's scope.
    vm.runInThisContext(`${code}\n;globalThis.ModuleFactory = ModuleFactory;`, { filename: String(file) });
  };
  // Emscripten's stdout/stderr: LiteRT logs an INFO line per model compiled.
  globalThis.Module = { print: () => {}, printErr: () => {} };
  const litert = await import("@litertjs/core");
  // It tries WebGPU first and warns that Node has none; the CPU is what is wanted here.
  const warn = console.warn;
  console.warn = () => {};
  try {
    await litert.loadLiteRt(`${wasmDir}/`);
  } finally {
    console.warn = warn;
  }
  return litert;
}

/** A compiled .tflite model with the same run() shape as the ONNX sessions: named Float32Array outputs. */
export async function createLiteRtSession(modelPath) {
  const litert = await liteRt();
  const model = await litert.loadAndCompile(new Uint8Array(readFileSync(modelPath)), { accelerator: "wasm" });
  const outputNames = model.getOutputDetails().map((detail) => detail.name);
  return {
    isLiteRt: true,
    async run(feeds) {
      const [feed] = Object.values(feeds);
      const input = new litert.Tensor(feed.data, feed.dims);
      try {
        const outputs = await model.run([input]);
        const named = {};
        outputs.forEach((tensor, i) => {
          named[outputNames[i]] = { data: tensor.toTypedArray() };
          tensor.delete();
        });
        return named;
      } finally {
        input.delete();
      }
    },
  };
}
