import { spawn } from "node:child_process";
import { embeddedEnv, ensureProductionBuild } from "../test/support/next-server";

/**
 * Playwright's web server: build if the sources are newer than the build, then `next start`, embedded. CI exports
 * the shared services' settings for the scale-out suites; on them the local-engine and the Magic Hour servers
 * would share one queue, and each would run the other's tasks.
 */
ensureProductionBuild();
const port = process.argv[2] ?? "3217";
const server = spawn("node_modules/.bin/next", ["start", "-p", port, "-H", "127.0.0.1"], {
  stdio: "inherit",
  env: embeddedEnv(),
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
server.on("exit", (code) => process.exit(code ?? 0));
