import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

/**
 * The Chromium that Playwright drives here. Playwright can't download its own browsers on these machines, so: a
 * system Chromium when there is one (`CHROMIUM_PATH`, then Debian's `/usr/bin/chromium`: faster to start), otherwise
 * the headless Chromium that the devDependency `@sparticuz/chromium` ships inside its npm package (unpacked to the
 * temp directory on first use), so `npm test` needs nothing but Node. `E2E_BROWSER=bundled` or `=system` forces one.
 */
export interface ChromiumChoice {
  executablePath: string;
  source: "system" | "bundled";
}

export async function chooseChromium(
  env: Record<string, string | undefined> = process.env,
): Promise<ChromiumChoice> {
  const forced = env.E2E_BROWSER;
  if (forced && forced !== "system" && forced !== "bundled") {
    throw new Error(`E2E_BROWSER must be "system" or "bundled", not "${forced}"`);
  }
  if (forced !== "bundled") {
    const system = [env.CHROMIUM_PATH, "/usr/bin/chromium"].find(
      (candidate): candidate is string => Boolean(candidate) && existsSync(candidate as string),
    );
    if (system) return { executablePath: system, source: "system" };
    if (forced === "system") {
      throw new Error(`E2E_BROWSER=system, but no Chromium at ${env.CHROMIUM_PATH ?? "/usr/bin/chromium"}`);
    }
  }
  return { executablePath: await unpackBundledChromium(), source: "bundled" };
}

/**
 * @sparticuz/chromium unpacks into the temp directory itself (`/tmp/chromium`), straight into place: a run stopped
 * half-way would leave a truncated browser that every later run takes as unpacked. So it unpacks into a staging
 * folder (its temp directory for the call), renamed once complete to a folder named for the package version.
 */
async function unpackBundledChromium(): Promise<string> {
  const version = packageVersion("@sparticuz/chromium");
  const home = path.join(os.tmpdir(), `facefinder-chromium-${version}`);
  const binary = path.join(home, "chromium");
  if (existsSync(binary)) return binary;
  const staging = mkdtempSync(`${home}-unpacking-`);
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    const { default: bundled } = await import("@sparticuz/chromium");
    await bundled.executablePath();
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
  try {
    renameSync(staging, home);
  } catch (error) {
    // Another process finished first: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}

/** Without the background-networking flags Chromium keeps trying hosts this closed network refuses. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

export async function chromiumLaunchOptions(env: Record<string, string | undefined> = process.env) {
  const { executablePath } = await chooseChromium(env);
  return { executablePath, args: CHROMIUM_ARGS };
}

/** The installed version of a package that doesn't export its package.json: found by walking up from its entry. */
function packageVersion(name: string): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (manifest.name === name && manifest.version) return manifest.version;
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json for ${name}`);
    dir = path.dirname(dir);
  }
}
