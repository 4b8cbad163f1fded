import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { collectOutput } from "./child-output";

/**
 * The real production server for integration tests: `next build` (when the sources are newer than the build) and
 * `next start` on a free loopback port, with its own data directory.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const NEXT = path.join(ROOT, "node_modules/.bin/next");
const SOURCES = ["app", "lib", "components", "instrumentation.ts", "next.config.mjs", "package.json"];

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const info = statSync(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(
    info.mtimeMs,
    ...readdirSync(entry)
      .filter((name) => !name.endsWith(".test.ts"))
      .map((name) => newestMtime(path.join(entry, name))),
  );
}

/** A build into NEXT_DIST_DIR with extra environment, whatever its age (the secret-scan test). */
export function productionBuild(env: Record<string, string>): void {
  const result = spawnSync(NEXT, ["build"], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
}

export function ensureProductionBuild(): void {
  const buildId = path.join(ROOT, ".next/BUILD_ID");
  const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  if (built > Math.max(...SOURCES.map((s) => newestMtime(path.join(ROOT, s))))) return;
  const result = spawnSync(NEXT, ["build"], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  origin: string;
  pid: number;
  dataDir: string;
  /** Everything the server printed, for assertions about logs. */
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The settings that move a server onto shared services. CI exports them for the scale-out suites; every other
 * suite's server stays embedded unless the test passes them itself.
 */
const SCALE_OUT_SETTING = /^(DATABASE_URL|REDIS_URL|REDIS_PREFIX|PROCESS_ROLE|METRICS_TOKEN|S3_[A-Z_]+)$/;

export function embeddedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (SCALE_OUT_SETTING.test(name)) delete env[name];
  return env;
}

export async function startServer(
  env: Record<string, string> = {},
  dataDir?: string,
): Promise<RunningServer> {
  const port = await freePort();
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), "facefinder-test-"));
  // Node's clients keep connections alive; with the server's default 5 s idle timeout, a request sent on a pooled
  // connection just as the server closes it fails with "socket hang up" (seen after a test paused to make a video).
  const args = ["start", "-p", String(port), "-H", "127.0.0.1", "--keepAliveTimeout", "65000"];
  const child: ChildProcess = spawn(NEXT, args, {
    cwd: ROOT,
    // Tests send far more requests a minute from one address than a person would: no rate limits unless asked.
    env: {
      ...embeddedEnv(),
      NEXT_TELEMETRY_DISABLED: "1",
      DATA_DIR: dir,
      RATE_LIMIT_PER_KEY: "0",
      RATE_LIMIT_PER_ADDRESS: "0",
      RATE_LIMIT_WEB_PER_ADDRESS: "0",
      RATE_LIMIT_RERUNS_PER_ADDRESS: "0",
      // Load scripts run many clients from one address at once.
      UPLOADS_PER_ADDRESS: "100",
      QUEUED_PER_CLIENT: "1000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectOutput(child);
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited early:\n${output()}`);
    try {
      if ((await fetch(`${origin}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`next start did not become healthy:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    origin,
    pid: child.pid as number,
    dataDir: dir,
    output,
    stop: (signal = "SIGTERM") =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}
