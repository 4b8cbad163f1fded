import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { localFileStorage } from "../file-storage";
import { describeBlobStoreContract } from "./blob-store-contract";
import { localBlobStore } from "./local-blob-store";

describeBlobStoreContract("Local files", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "facefinder-blobs-"));
  return {
    store: localBlobStore(localFileStorage(root)),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});
