import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_ARGS, chooseChromium } from "./test/support/chromium";

/**
 * End-to-end tests: a system Chromium, or the one `@sparticuz/chromium` ships (see test/support/chromium.ts), against
 * the production build. `e2e/serve.ts` builds when the sources changed, then runs `next start` with a fresh data dir.
 */
const PORT = Number(process.env.E2E_PORT ?? 3217);
/** A second app, with Magic Hour as its provider, pointed at the fake Magic Hour. */
const MH_PORT = PORT + 2;
const FAKE_PORT = PORT + 1;
const FAKE_TOKEN = "mhk_e2e_fake_token";
// Resolved before the config is read: the bundled Chromium's path is known only once it is unpacked. Every worker
// loads this config again; the unpacked binary is then found at once.
const browser = await chooseChromium();
if (!process.env.TEST_WORKER_INDEX)
  console.log(`e2e browser: ${browser.source} Chromium at ${browser.executablePath}`);

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
    launchOptions: { executablePath: browser.executablePath, args: CHROMIUM_ARGS },
  },
  projects: [
    { name: "desktop", use: { viewport: { width: 1280, height: 860 } }, testIgnore: /magic-hour/ },
    {
      name: "phone",
      use: { ...devices["Pixel 7"], browserName: "chromium" },
      grep: /@phone/,
      testIgnore: /magic-hour/,
    },
    {
      name: "magic-hour",
      use: { viewport: { width: 1280, height: 860 }, baseURL: `http://127.0.0.1:${MH_PORT}` },
      testMatch: /magic-hour/,
    },
  ],
  webServer: [
    {
      command: `node_modules/.bin/tsx e2e/serve.ts ${PORT}`,
      url: `http://127.0.0.1:${PORT}/api/health`,
      timeout: 300_000,
      reuseExistingServer: false,
      env: {
        DATA_DIR: path.join(os.tmpdir(), `facefinder-e2e-${Date.now()}`),
        NEXT_TELEMETRY_DISABLED: "1",
        RATE_LIMIT_PER_ADDRESS: "0",
        RATE_LIMIT_WEB_PER_ADDRESS: "0",
        RATE_LIMIT_RERUNS_PER_ADDRESS: "0",
        UPLOADS_PER_ADDRESS: "100",
      },
    },
    {
      command: `node_modules/.bin/tsx test/support/fake-magic-hour-cli.ts ${FAKE_PORT} ${FAKE_TOKEN}`,
      port: FAKE_PORT,
      reuseExistingServer: false,
    },
    {
      // Started after the first one has built the app (servers start in order).
      command: `node_modules/.bin/tsx e2e/serve.ts ${MH_PORT}`,
      url: `http://127.0.0.1:${MH_PORT}/api/health`,
      timeout: 300_000,
      reuseExistingServer: false,
      env: {
        DATA_DIR: path.join(os.tmpdir(), `facefinder-e2e-mh-${Date.now()}`),
        NEXT_TELEMETRY_DISABLED: "1",
        RATE_LIMIT_PER_ADDRESS: "0",
        RATE_LIMIT_WEB_PER_ADDRESS: "0",
        RATE_LIMIT_RERUNS_PER_ADDRESS: "0",
        UPLOADS_PER_ADDRESS: "100",
        MAGIC_HOUR_API_TOKEN: FAKE_TOKEN,
        MAGIC_HOUR_BASE_URL: `http://127.0.0.1:${FAKE_PORT}`,
      },
    },
  ],
});
