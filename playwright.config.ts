import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

/**
 * End-to-end tests: Debian's Chromium (Playwright can't download its own browsers on these machines) against the
 * production build. `e2e/serve.ts` builds when the sources changed, then runs `next start` with a fresh data dir.
 */
const PORT = Number(process.env.E2E_PORT ?? 3217);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "e2e",
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  timeout: 60_000,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "desktop", use: { viewport: { width: 1280, height: 860 } } },
    { name: "phone", use: { ...devices["Pixel 7"], browserName: "chromium" }, grep: /@phone/ },
  ],
  webServer: {
    command: `node_modules/.bin/tsx e2e/serve.ts ${PORT}`,
    url: `http://127.0.0.1:${PORT}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    env: { DATA_DIR: path.join(os.tmpdir(), `facefinder-e2e-${Date.now()}`), NEXT_TELEMETRY_DISABLED: "1" },
  },
});
