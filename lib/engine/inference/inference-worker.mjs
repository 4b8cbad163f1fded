// Runs ONNX models off the main thread. onnxruntime-node's session.run() computes synchronously on the calling
// thread, so a server that ran it on the main thread would stop answering while it detects.
//
// Plain JavaScript on purpose: this file is loaded by `new Worker(path)` from Next.js, the CLI and the tests alike,
// with no TypeScript loader in between. The message types are declared in inference-protocol.ts.
import { parentPort, workerData } from "node:worker_threads";
import ort from "onnxruntime-node";
import { createLiteRtSession } from "./litert-runtime.mjs";

const { intraOpThreads } = workerData;

/** One session per model file, created on first use and reused for every request after it. */
const sessions = new Map();

function session(modelPath) {
  let pending = sessions.get(modelPath);
  if (!pending) {
    pending = modelPath.endsWith(".tflite") ? createLiteRtSession(modelPath) : onnxSession(modelPath);
    sessions.set(modelPath, pending);
    pending.catch(() => sessions.delete(modelPath));
  }
  return pending;
}

function onnxSession(modelPath) {
  return ort.InferenceSession.create(modelPath, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    // Spinning threads burn a core while idle; on a 2-core server that core is needed for HTTP and decoding.
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  });
}

parentPort.on("message", async (request) => {
  try {
    const model = await session(request.modelPath);
    const results = [];
    const transfer = [];
    for (const input of request.inputs) {
      // LiteRT sessions take the plain {data, dims} as it came; ONNX sessions want an ort.Tensor.
      const feeds = {
        [input.name]: model.isLiteRt ? input : new ort.Tensor("float32", input.data, input.dims),
      };
      const outputs = await model.run(feeds);
      const copied = {};
      for (const [name, tensor] of Object.entries(outputs)) {
        // Copy out of ORT's buffer so the result can be transferred, not cloned, back to the main thread.
        const data = Float32Array.from(tensor.data);
        copied[name] = data;
        transfer.push(data.buffer);
      }
      results.push(copied);
    }
    parentPort.postMessage({ id: request.id, outputs: results }, transfer);
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
