/**
 * npm run start:web [-- next start options] — a web instance of a scale-out deployment (docs/SCALING.md): serves
 * pages, the API, uploads and crops, and runs no detections (it only enqueues; `npm run worker` runs them).
 * PROCESS_ROLE=web, then `next start` with the arguments given, in this process's place: signals reach Next.
 * Plain Node, so it runs the same on Windows, macOS and Linux.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const next = createRequire(import.meta.url).resolve("next/dist/bin/next");
const child = spawn(process.execPath, [next, "start", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, PROCESS_ROLE: "web" },
});
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  if (signal) {
    // End the way Next ended, so a supervisor sees the signal (this process's own handler must not catch it).
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
