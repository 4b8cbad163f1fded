/**
 * npm run screenshots — what a person sees, written to docs/screenshots/: the home page (with "Your results"), a
 * result page, the share panel with its QR code, an enlarged face, a video result, at desktop (1280 × 860) and
 * phone (Pixel 7) sizes, and the share card a pasted link shows. Runs the production build in the same
 * Chromium as the e2e tests (test/support/chromium.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { chromium, devices, type Page } from "@playwright/test";
import { packageFile } from "../lib/engine/models/package-file";
import { chromiumLaunchOptions } from "../test/support/chromium";
import { ensureProductionBuild, startServer } from "../test/support/next-server";
import { makeVideo } from "../test/support/video-fixtures";

const OUT = "docs/screenshots";
mkdirSync(OUT, { recursive: true });
ensureProductionBuild();
const server = await startServer();
const browser = await chromium.launch(await chromiumLaunchOptions());

async function upload(page: Page, file: Parameters<Page["setInputFiles"]>[1], heading: RegExp) {
  await page.goto(`${server.origin}/`);
  await page.getByLabel("Photo file").setInputFiles(file);
  await page.getByRole("heading", { name: heading }).waitFor({ timeout: 60_000 });
  await page.waitForLoadState("networkidle");
}

try {
  const desktopContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const desktop = await desktopContext.newPage();
  await upload(desktop, packageFile("@vladmandic/face-api", "demo/sample2.jpg"), /faces? found/);
  await upload(desktop, packageFile("@vladmandic/face-api", "demo/sample5.jpg"), /faces? found/);
  await desktop.getByRole("button", { name: /^Face 2,/ }).hover();
  await desktop.screenshot({ path: `${OUT}/result-desktop.png`, fullPage: true });
  const resultUrl = desktop.url();
  await desktop.getByRole("button", { name: /^Face 3,/ }).click();
  await desktop.getByRole("dialog").waitFor();
  await desktop.waitForTimeout(300);
  await desktop.screenshot({ path: `${OUT}/face-enlarged-desktop.png` });
  await desktop.keyboard.press("Escape");

  const card = await desktop.request.get(
    `${server.origin}/api/detections/${resultUrl.split("/").at(-1)}/card.jpg?confidence=0.50`,
  );
  writeFileSync(`${OUT}/share-card.jpg`, await card.body());

  const clip = makeVideo([
    { photo: 4, seconds: 2, move: "far" },
    { photo: 6, seconds: 2, move: "zoom" },
  ]);
  await upload(desktop, clip, /people found/);
  await desktop.getByRole("button", { name: /^Person 6/ }).click();
  await desktop.waitForTimeout(1500);
  await desktop.screenshot({ path: `${OUT}/video-result-desktop.png`, fullPage: true });

  await desktop.goto(`${server.origin}/`);
  await desktop.waitForLoadState("networkidle");
  await desktop.screenshot({ path: `${OUT}/home-desktop.png`, fullPage: true });

  const phone = await browser.newPage({ ...devices["Pixel 7"] });
  await phone.goto(`${server.origin}/`);
  await phone.screenshot({ path: `${OUT}/home-phone.png` });
  await phone.goto(resultUrl);
  await phone.waitForLoadState("networkidle");
  // The first screen, as the phone shows it before any scrolling.
  await phone.screenshot({ path: `${OUT}/result-phone.png` });
  await phone.getByRole("button", { name: "Share…" }).click();
  await phone.getByRole("img", { name: "QR code of this link" }).waitFor();
  await phone.screenshot({ path: `${OUT}/share-phone.png` });
  console.log(`wrote ${OUT}/`);
} finally {
  await browser.close();
  await server.stop();
}
