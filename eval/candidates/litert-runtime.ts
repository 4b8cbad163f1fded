import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { type CompiledModel, loadAndCompile, loadLiteRt } from "@litertjs/core";

/**
 * LiteRT.js (@litertjs/core, Google's WebAssembly TFLite runtime) under Node 20 on the CPU. It is written for
 * browsers and workers: its loader calls `importScripts` on the emscripten glue and then reads `self.ModuleFactory`.
 * A small shim gives it that: `self` is the global object, and `importScripts` runs the glue file with `vm` in this
 * context and publishes its `ModuleFactory`. The glue then takes its Node path (it sees `process`), for which it
 * needs `require` and `__dirname` on the global object, and reads the .wasm from node_modules with fs.
 */

const localRequire = createRequire(import.meta.url);
const wasmDir = path.join(path.dirname(localRequire.resolve("@litertjs/core/package.json")), "wasm");

let ready: Promise<unknown> | undefined;

function startLiteRt(): Promise<unknown> {
  ready ??= (async () => {
    const g = globalThis as Record<string, unknown>;
    g.self ??= globalThis;
    g.require ??= localRequire;
    g.__dirname ??= wasmDir;
    g.importScripts = (url: string) => {
      const file = url.startsWith("file:") ? fileURLToPath(url) : url;
      vm.runInThisContext(`${readFileSync(file, "utf8")}\n;globalThis.ModuleFactory = ModuleFactory;`, {
        filename: file,
      });
    };
    await loadLiteRt(`${wasmDir}${path.sep}`);
  })();
  return ready;
}

/** A .tflite file from an npm package, compiled for LiteRT's WASM (XNNPack) CPU path. */
export async function loadPackagedTflite(pkg: string, file: string): Promise<CompiledModel> {
  await startLiteRt();
  const bytes = readFileSync(path.join(path.dirname(localRequire.resolve(`${pkg}/package.json`)), file));
  return loadAndCompile(new Uint8Array(bytes), { accelerator: "wasm" });
}
