import { existsSync } from "node:fs";

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
  const { default: bundled } = await import("@sparticuz/chromium");
  return { executablePath: await bundled.executablePath(), source: "bundled" };
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
