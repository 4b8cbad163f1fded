/**
 * npm run screenshots — what a person sees: the home page and a result page, at desktop and phone width, written
 * to docs/screenshots/. Runs the production build with Debian's Chromium, like the e2e tests.
 */
import { mkdirSync } from "node:fs";
import { chromium, devices } from "@playwright/test";
import { packageFile } from "../lib/engine/models/package-file";
import { chromiumLaunchOptions } from "../lib/testing/chromium";
import { ensureProductionBuild, startServer } from "../lib/testing/next-server";
import { makeVideo } from "../lib/testing/video-fixtures";

const OUT = "docs/screenshots";
mkdirSync(OUT, { recursive: true });
ensureProductionBuild();
const server = await startServer();
const browser = await chromium.launch(chromiumLaunchOptions);
try {
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await desktop.goto(`${server.origin}/`);
  await desktop.screenshot({ path: `${OUT}/home-desktop.png` });
  await desktop
    .getByLabel("Photo file")
    .setInputFiles(packageFile("@vladmandic/face-api", "demo/sample5.jpg"));
  await desktop.getByRole("heading", { name: /faces? found/ }).waitFor();
  await desktop.waitForLoadState("networkidle");
  await desktop.getByRole("button", { name: "Face 2" }).first().hover();
  await desktop.screenshot({ path: `${OUT}/result-desktop.png`, fullPage: true });
  const resultUrl = desktop.url();

  const clip = makeVideo([
    { photo: 4, seconds: 2, move: "far" },
    { photo: 6, seconds: 2, move: "zoom" },
  ]);
  await desktop.goto(`${server.origin}/`);
  await desktop.getByLabel("Photo file").setInputFiles(clip);
  await desktop.getByRole("heading", { name: /people found/ }).waitFor({ timeout: 60_000 });
  await desktop.getByRole("button", { name: /^Person 6/ }).click();
  await desktop.waitForTimeout(1500);
  await desktop.screenshot({ path: `${OUT}/video-result-desktop.png`, fullPage: true });

  const phone = await browser.newPage({ ...devices["Pixel 7"] });
  await phone.goto(`${server.origin}/`);
  await phone.screenshot({ path: `${OUT}/home-phone.png` });
  await phone.goto(resultUrl);
  await phone.waitForLoadState("networkidle");
  await phone.screenshot({ path: `${OUT}/result-phone.png`, fullPage: true });
  console.log(`wrote ${OUT}/{home,result}-{desktop,phone}.png and ${OUT}/video-result-desktop.png`);
} finally {
  await browser.close();
  await server.stop();
}
