import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFaceApiPeer, type FaceApiPeer } from "../../scripts/bench/face-api-peer";

/**
 * tfjs on its WASM backend (tfjs-node downloads a native library at install and cannot be installed here). The
 * backend is process-wide state that the face-api peer already knows how to start cleanly (it takes back the
 * handlers emscripten installs), so every tfjs candidate starts it through the peer, once.
 */

let peer: Promise<FaceApiPeer> | undefined;

/** The face-api SSD peer, which also leaves tfjs on its WASM backend. */
export function faceApiPeer(): Promise<FaceApiPeer> {
  peer ??= createFaceApiPeer({ minConfidence: 0.3 });
  return peer;
}

const localRequire = createRequire(import.meta.url);

/** A tfjs graph model (model.json + weight shards) from an npm package, read from disk: no fetch, no network. */
export async function loadPackagedGraphModel(pkg: string, file: string): Promise<tf.GraphModel> {
  await faceApiPeer();
  const json = path.join(path.dirname(localRequire.resolve(`${pkg}/package.json`)), file);
  const artifacts = JSON.parse(readFileSync(json, "utf8")) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
    signature?: object;
    userDefinedMetadata?: Record<string, unknown>;
  };
  const shards = artifacts.weightsManifest.flatMap((group) =>
    group.paths.map((p) => readFileSync(path.join(path.dirname(json), p))),
  );
  const weightData = Buffer.concat(shards);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: artifacts.modelTopology,
      weightSpecs: artifacts.weightsManifest.flatMap((group) => group.weights),
      weightData: weightData.buffer.slice(
        weightData.byteOffset,
        weightData.byteOffset + weightData.byteLength,
      ),
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      signature: artifacts.signature,
      userDefinedMetadata: artifacts.userDefinedMetadata,
    }),
  );
  return model;
}

export { tf };
