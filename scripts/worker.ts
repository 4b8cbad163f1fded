/**
 * npm run worker — a detection worker of a scale-out deployment (docs/SCALING.md): jobs from Redis, tasks in
 * PostgreSQL, files in the S3 bucket; `/healthz` and `/metrics` on WORKER_PORT. Run under `node --import tsx` (not
 * the tsx CLI, which would put a parent process between a signal and the worker), with `--conditions=react-server`:
 * lib/server modules start with `import "server-only"`, which throws under Node's default conditions and resolves to
 * an empty module under that one, as it does in Next's server bundle.
 */

import { errorFields, log } from "../lib/server/log";
import { startWorkerProcess } from "../lib/server/worker-process";

const worker = await startWorkerProcess(process.env).catch((error: Error) => {
  log("error", "worker did not start", errorFields(error));
  process.exit(1);
});

const shutdown = (signal: string) => {
  log("info", "worker stopping: taking no new jobs, finishing the ones held", { signal });
  worker.stop().then(
    () => process.exit(0),
    (error) => {
      log("error", "worker shutdown failed", errorFields(error));
      process.exit(1);
    },
  );
};
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));
