import { expect, type Page, test } from "@playwright/test";
import { makeVideo } from "../test/support/video-fixtures";
import { photoPath, textFile, truncatedJpeg } from "./fixtures";

async function uploadPhoto(page: Page, file: string | Parameters<Page["setInputFiles"]>[1]) {
  await page.goto("/");
  await page.getByLabel("Photo file").setInputFiles(file);
}

const faceImages = (page: Page) =>
  page.getByRole("list", { name: "Faces" }).getByRole("listitem").getByRole("button");
const faceSources = (page: Page) =>
  page
    .getByRole("list", { name: "Faces" })
    .locator("img")
    .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).src));

test("a dropped photo shows each of its faces, without layout shift @phone", async ({ page }) => {
  await uploadPhoto(page, photoPath("sample5.jpg"));
  await expect(page).toHaveURL(/\/results\/[\w-]{22}$/);
  await expect(page.getByRole("heading", { name: "5 faces found" })).toBeVisible();
  await expect(faceImages(page)).toHaveCount(5);
  await expect(page.getByRole("img", { name: /The analysed photo/ })).toBeVisible();
  // Cumulative layout shift on the result page while the results arrived: measured once every picture on the page
  // has loaded and a frame has been drawn since, so every shift they could cause has been recorded.
  await page.waitForFunction(() => [...document.images].every((image) => image.complete));
  const shift = await page.evaluate(async () => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    // A buffered observer is handed the entries recorded so far when it starts observing: read them at once.
    const observer = new PerformanceObserver(() => {});
    observer.observe({ type: "layout-shift", buffered: true });
    const entries = observer.takeRecords() as Array<
      PerformanceEntry & { value: number; hadRecentInput: boolean }
    >;
    observer.disconnect();
    return entries.filter((entry) => !entry.hadRecentInput).reduce((total, entry) => total + entry.value, 0);
  });
  expect(shift).toBeLessThan(0.1);
});

test("the slider filters faces without running detection again", async ({ page }) => {
  await uploadPhoto(page, photoPath("sample4.jpg"));
  await expect(page.getByRole("heading", { name: "4 faces found" })).toBeVisible();
  const calls: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/api/detections")) calls.push(`${request.method()} ${request.url()}`);
  });
  await page.getByLabel("Confidence").fill("0.9");
  await expect(page).toHaveURL(/confidence=0\.90/);
  const shown = await faceImages(page).count();
  expect(shown).toBeGreaterThan(0);
  expect(shown).toBeLessThan(4);
  await expect(
    page.getByRole("heading", { name: `${shown} face${shown === 1 ? "" : "s"} found` }),
  ).toBeVisible();
  expect(calls).toEqual([]);
});

test("the share link shows the same faces to someone else", async ({ page, browser }) => {
  await uploadPhoto(page, photoPath("sample1.jpg"));
  await expect(page.getByRole("heading", { name: "3 faces found" })).toBeVisible();
  await page.getByLabel("Confidence").fill("0.6");
  const link = page.url();
  const mine = await faceSources(page);

  const stranger = await browser.newContext();
  const theirPage = await stranger.newPage();
  await theirPage.goto(link);
  await expect(theirPage.getByRole("heading", { name: "3 faces found" })).toBeVisible();
  const theirs = await faceSources(theirPage);
  expect(theirs).toEqual(mine);
  const og = await theirPage.locator('meta[property="og:image"]').getAttribute("content");
  expect(og).toMatch(/\/api\/detections\/[\w-]{22}\/card\.jpg\?confidence=0\.60$/);
  expect((await theirPage.request.get(og as string)).headers()["content-type"]).toBe("image/jpeg");
  await stranger.close();
});

test("a file that isn't a photo is refused with an explanation, before any upload", async ({ page }) => {
  let uploads = 0;
  page.on("request", (request) => {
    if (request.method() === "POST") uploads++;
  });
  await uploadPhoto(page, textFile());
  await expect(
    page.getByRole("alert").filter({ hasText: "isn't a photo or video this app can read" }),
  ).toBeVisible();
  expect(uploads).toBe(0);
  await expect(page).toHaveURL(/\/$/);
});

test("a photo that can't be decoded ends with a clear error", async ({ page }) => {
  await uploadPhoto(page, truncatedJpeg());
  await expect(page).toHaveURL(/\/results\//);
  await expect(page.getByText("This photo could not be analysed.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Try another photo" })).toBeVisible();
});

test("a sample photo can be tried with one click", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("button", { name: "Four friends posing" }).click();
  await expect(page.getByRole("heading", { name: "4 faces found" })).toBeVisible();
});

test("the home page's first-load JavaScript stays under 150 kB gzipped", async ({ page }) => {
  const sizes: number[] = [];
  page.on("requestfinished", async (request) => {
    if (request.resourceType() === "script") sizes.push((await request.sizes()).responseBodySize);
  });
  await page.goto("/", { waitUntil: "networkidle" });
  const total = sizes.reduce((a, b) => a + b, 0);
  console.log(`home page first-load JS: ${(total / 1024).toFixed(1)} kB gzipped in ${sizes.length} files`);
  expect(total).toBeGreaterThan(0);
  expect(total).toBeLessThan(150 * 1024);
});

test("a video shows its people, and choosing one jumps to where they appear", async ({ page }) => {
  const clip = makeVideo([
    { photo: 4, seconds: 2, move: "far" },
    { photo: 6, seconds: 2, move: "zoom" },
  ]);
  await uploadPhoto(page, clip);
  await expect(page.getByRole("heading", { name: "8 people found" })).toBeVisible({ timeout: 45_000 });
  // Its link's preview counts people, not faces.
  await page.reload();
  await expect(page).toHaveTitle("8 people found · Face finder");
  await expect(page.locator('meta[property="og:description"]')).toHaveAttribute(
    "content",
    /person in this video/,
  );
  const video = page.getByLabel("The analysed video");
  await expect(video).toBeVisible();
  const people = page.getByRole("button", { name: /^Person \d+/ });
  await expect(people).toHaveCount(8);
  await people.nth(6).click();
  await expect(people.nth(6)).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("region", { name: "Where person 7 appears" })).toBeVisible();
  await expect
    .poll(() => video.evaluate((v) => (v as HTMLVideoElement).currentTime), { timeout: 10_000 })
    .toBeGreaterThanOrEqual(1.9);
});
