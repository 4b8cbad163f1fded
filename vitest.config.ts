import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // Next resolves "server-only" to an empty module on the server; outside Next it throws by design.
      "server-only": path.resolve(import.meta.dirname, "lib/server/server-only-stub.ts"),
    },
  },
  test: {
    include: ["**/*.test.ts"],
    globalSetup: ["./vitest.global-setup.ts"],
    exclude: ["node_modules/**", ".next/**", ".next-secret-scan/**", "e2e/**", "scratch/**"],
    // onnxruntime-node and sharp are native: separate processes are the safe isolation for them.
    pool: "forks",
    maxWorkers: 2,
    // Real models on real images, on 2 cores: generous, but a hung worker still fails the run.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A run that finds no test must fail, not pass quietly.
    passWithNoTests: false,
  },
});
