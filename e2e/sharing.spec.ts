import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import sharp from "sharp";
import { photoPath } from "./fixtures";

/** Issue 14: sharing and demoing, on desktop and (tests tagged @phone) on a Pixel 7. */

const gallery = (page: Page) => page.getByRole("list", { name: "Faces" });
const faceButtons = (page: Page) => gallery(page).getByRole("button");

async function upload(page: Page, photo: string, heading: string) {
  await page.goto("/");
  await page.getByLabel("Photo file").setInputFiles(photoPath(photo));
  await expect(page.getByRole("heading", { name: heading })).toBeVisible({ timeout: 30_000 });
}

const meta = (page: Page, key: string) =>
  page.locator(`meta[property="${key}"], meta[name="${key}"]`).first().getAttribute("content");

test("a link shared at a non-default threshold says what its recipient will see @phone", async ({
  page,
  browser,
}) => {
  await upload(page, "sample4.jpg", "4 faces found");
  await page.getByLabel("Confidence").fill("0.9");
  await expect(page).toHaveURL(/confidence=0\.90/);
  const shown = await faceButtons(page).count();
  expect(shown).toBeLessThan(4);
  const title = `${shown} face${shown === 1 ? "" : "s"} found`;

  const stranger = await browser.newContext();
  const theirs = await stranger.newPage();
  await theirs.goto(page.url());
  await expect(theirs).toHaveTitle(`${title} · Face finder`);
  expect(await meta(theirs, "og:title")).toBe(title);
  expect(await meta(theirs, "twitter:title")).toBe(title);
  expect(await meta(theirs, "og:url")).toBe(page.url());
  expect(await meta(theirs, "og:url")).toMatch(/\?confidence=0\.90$/);
  const image = (await meta(theirs, "og:image")) as string;
  expect(image).toMatch(/\/card\.jpg\?confidence=0\.90$/);
  const card = await theirs.request.get(image);
  expect(card.headers()["content-type"]).toBe("image/jpeg");
  const info = await sharp(await card.body()).metadata();
  expect([info.width, info.height]).toEqual([1200, 630]);
  await expect(theirs.getByRole("heading", { name: title })).toBeVisible();
  await stranger.close();
});

test("copy link without a clipboard API shows the link selected, plus a QR code @phone", async ({ page }) => {
  // As over plain http on a LAN address, where browsers don't expose navigator.clipboard.
  await page.addInitScript(() =>
    Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined }),
  );
  await upload(page, "sample1.jpg", "3 faces found");
  await page.getByRole("button", { name: "Copy link" }).click();
  const field = page.getByLabel("Link to this result");
  await expect(field).toHaveValue(page.url());
  await expect(page.getByText(/copy it with Ctrl\+C/)).toBeVisible();
  const selected = await field.evaluate((input: HTMLInputElement) =>
    input.value.slice(input.selectionStart ?? 0, input.selectionEnd ?? 0),
  );
  expect(selected).toBe(page.url());
  await expect(page.getByRole("img", { name: "QR code of this link" })).toBeVisible();
});

test("copy link puts the link on the clipboard where there is one", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await upload(page, "sample1.jpg", "3 faces found");
  await page.getByRole("button", { name: "Copy link" }).click();
  await expect(page.getByRole("button", { name: "Link copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url());
});

test("my results are listed on the home page, and the maker can delete one @phone", async ({
  page,
  browser,
}) => {
  await upload(page, "sample1.jpg", "3 faces found");
  const link = page.url();
  const id = link.split("/").at(-1) as string;
  await page.goto("/");
  const mine = page.getByRole("region", { name: "Your results" });
  await expect(mine.getByRole("link", { name: /sample1\.jpg.*3 faces/ })).toBeVisible();
  await mine.getByRole("link", { name: /sample1\.jpg/ }).click();
  await expect(page.getByRole("heading", { name: "3 faces found" })).toBeVisible();

  // Someone else with the link sees the result but can't delete it.
  const stranger = await browser.newContext();
  const theirs = await stranger.newPage();
  await theirs.goto(link);
  await expect(theirs.getByRole("heading", { name: "3 faces found" })).toBeVisible();
  await expect(theirs.getByRole("button", { name: "Delete" })).toHaveCount(0);
  expect(
    (
      await theirs.request.delete(`/api/detections/${id}`, { headers: { "X-Delete-Token": "guess" } })
    ).status(),
  ).toBe(403);

  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("heading", { name: "Deleted" })).toBeFocused();
  expect((await page.request.get(`/api-assets/${id}/0-0.png`)).status()).toBe(404);
  expect((await page.request.get(`/api/detections/${id}`)).status()).toBe(404);

  await theirs.reload();
  await expect(theirs.getByRole("heading", { name: "Deleted" })).toBeVisible();
  await expect(theirs).toHaveTitle(/Result deleted/);
  await stranger.close();
  await page.goto("/");
  await expect(page.getByRole("link", { name: /sample1\.jpg/ })).toHaveCount(0);
});

test("the notice before upload says who sees a result and for how long @phone", async ({ page }) => {
  await page.goto("/");
  await expect(
    page.getByText("Anyone with a result's link can see it. Results are deleted after 7 days"),
  ).toBeVisible();
});

test("downloads: faces named as in the UI, boxes as CSV, and a photo with the faces blurred @phone", async ({
  page,
}) => {
  await upload(page, "sample1.jpg", "3 faces found");
  await page.getByRole("button", { name: /^Face 2,/ }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("link", { name: "Download" })).toHaveAttribute("download", "face-02.png");
  await page.keyboard.press("Escape");

  await page.getByText("Download ▾").click();
  const csvDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Face boxes and scores (CSV)" }).click();
  const csv = (await (await csvDownload).createReadStream()).toArray();
  const lines = Buffer.concat(await csv)
    .toString("utf8")
    .trim()
    .split("\r\n");
  expect(lines[0]).toMatch(/^crop,score,x,y,width,height,right_eye_x,/);
  expect(lines.slice(1).map((line) => line.split(",")[0])).toEqual([
    "face-01.png",
    "face-02.png",
    "face-03.png",
  ]);

  await page.getByText("Download ▾").click();
  const blurredDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Photo with faces blurred" }).click();
  const blurred = await blurredDownload;
  expect(blurred.suggestedFilename()).toMatch(/^faces-blurred-[\w-]{22}\.jpg$/);
  const redacted = Buffer.concat(await (await blurred.createReadStream()).toArray());
  const original = await sharp(photoPath("sample1.jpg")).rotate().raw().toBuffer({ resolveWithObject: true });
  const copy = await sharp(redacted).raw().toBuffer({ resolveWithObject: true });
  expect([copy.info.width, copy.info.height]).toEqual([original.info.width, original.info.height]);
  // Inside each face box the detail is gone; elsewhere the photo is unchanged (but for JPEG noise).
  const [first] = lines.slice(1).map((line) => line.split(",").slice(2, 6).map(Number));
  const [x, y, w, h] = first as [number, number, number, number];
  const region = { left: Math.round(x), top: Math.round(y), width: Math.round(w), height: Math.round(h) };
  // Fine detail: the mean step between horizontally neighbouring grey pixels (a blur leaves almost none).
  const detail = async (image: Buffer) => {
    const { data, info } = await sharp(image)
      .extract(region)
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    let sum = 0;
    for (let row = 0; row < info.height; row++) {
      for (let col = 1; col < info.width; col++) {
        const at = row * info.width + col;
        sum += Math.abs((data[at] as number) - (data[at - 1] as number));
      }
    }
    return sum / (info.height * (info.width - 1));
  };
  const before = await detail(await sharp(photoPath("sample1.jpg")).rotate().toBuffer());
  expect(await detail(redacted)).toBeLessThan(before / 4);
  const corner = { left: 0, top: 0, width: 40, height: 40 };
  const a = await sharp(redacted).extract(corner).stats();
  const b = await sharp(photoPath("sample1.jpg")).rotate().extract(corner).stats();
  expect(Math.abs((a.channels[0]?.mean ?? 0) - (b.channels[0]?.mean ?? 0))).toBeLessThan(4);
});

test("keyboard alone: focus lands on the result, frames are no tab stops, the gallery opens and steps", async ({
  page,
}) => {
  await upload(page, "sample5.jpg", "5 faces found");
  await expect(page.getByRole("heading", { name: "5 faces found" })).toBeFocused();
  // From the heading: Copy link, Share…, Download, Delete, then the slider — not 5 frames first.
  const stops: string[] = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press("Tab");
    stops.push(
      await page.evaluate(
        () => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent ?? "",
      ),
    );
    if (await page.getByLabel("Confidence").evaluate((el) => el === document.activeElement)) break;
  }
  await expect(page.getByLabel("Confidence")).toBeFocused();
  expect(stops.length).toBeLessThanOrEqual(5);
  await page.keyboard.press("ArrowLeft");
  await expect(page).toHaveURL(/confidence=0\.45/);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: /^Face 1,/ })).toBeFocused();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toHaveAccessibleName(/^Face 1,/);
  await page.keyboard.press("ArrowRight");
  await expect(dialog).toHaveAccessibleName(/^Face 2,/);
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowLeft");
  await expect(dialog).toHaveAccessibleName(/^Face 5,/);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
});

test("clicking a frame on the photo opens that face; weaker candidates can be shown greyed @phone", async ({
  page,
}) => {
  await upload(page, "sample4.jpg", "4 faces found");
  await page.locator('[data-face-frame="shown"]').nth(2).click();
  await expect(page.getByRole("dialog")).toHaveAccessibleName(/^Face 3,/);
  await page.keyboard.press("Escape");
  await page.getByLabel("Confidence").fill("0.9");
  const shown = await faceButtons(page).count();
  await page.getByLabel(/less certain candidates?, greyed/).check();
  await expect(faceButtons(page)).toHaveCount(4);
  await expect(page.getByRole("button", { name: /^Candidate 1, .*below the threshold/ })).toBeVisible();
  await expect(page.locator('[data-face-frame="weaker"]')).toHaveCount(4 - shown);
});

test("on a phone the photo uses the width and the first faces show without scrolling @phone", async ({
  page,
}) => {
  await upload(page, "sample5.jpg", "5 faces found");
  const viewport = page.viewportSize() as { width: number; height: number };
  const photo = (await page.getByRole("img", { name: /The analysed photo/ }).boundingBox()) ?? {
    width: 0,
    x: 0,
  };
  const firstFace = await faceButtons(page).first().boundingBox();
  if (viewport.width < 640) expect(photo.width).toBeGreaterThan(viewport.width - 40);
  expect((firstFace?.y ?? Infinity) + (firstFace?.height ?? 0)).toBeLessThanOrEqual(viewport.height);
});

test("uploading shows the file's name and can be cancelled @phone", async ({ page }) => {
  await page.goto("/");
  const cdp = await page.context().newCDPSession(page);
  // A slow link (about 64 kB/s up), so the upload is still running when Cancel is pressed.
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 50,
    downloadThroughput: 1_000_000,
    uploadThroughput: 64 * 1024,
  });
  await page.getByLabel("Photo file").setInputFiles(photoPath("sample3.jpg"));
  await expect(page.getByText("sample3.jpg")).toBeVisible();
  await expect(page.getByRole("progressbar", { name: "Upload progress" })).toBeVisible();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("button", { name: /^Drop a photo or video here/ })).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("alert").filter({ hasText: /\w/ })).toHaveCount(0);
});

test("the drop area itself opens the file chooser", async ({ page }) => {
  await page.goto("/");
  const chooser = page.waitForEvent("filechooser");
  await page
    .getByRole("button", { name: /^Drop a photo or video here/ })
    .click({ position: { x: 20, y: 20 } });
  await chooser;
});

test("a mistyped share link gets the app's own not-found page, and the app has an icon @phone", async ({
  page,
}) => {
  const response = await page.goto("/results/not-a-real-id");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Nothing here" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Face finder" })).toBeVisible();
  const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
  expect((await page.request.get(icon as string)).headers()["content-type"]).toContain("image/svg+xml");
});

const seriousViolations = async (page: Page) => {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
};

test("no serious or critical accessibility violations: home page @phone", async ({ page }) => {
  await page.goto("/");
  expect(await seriousViolations(page)).toEqual([]);
});

test("no serious or critical accessibility violations: result page, its panels and dialog @phone", async ({
  page,
}) => {
  await upload(page, "sample2.jpg", "3 faces found");
  await page.waitForLoadState("networkidle");
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByLabel("Confidence").fill("0.95");
  await page.getByLabel(/less certain candidates?, greyed/).check();
  await page.getByRole("button", { name: "Share…" }).click();
  await expect(page.getByRole("img", { name: "QR code of this link" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: /^Candidate 1,/ }).click();
  await expect(page.getByRole("dialog")).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

test("on a phone, Share… offers the system share sheet with the link @phone", async ({ page }) => {
  await page.addInitScript(() => {
    const shared: unknown[] = [];
    (window as unknown as { shared: unknown[] }).shared = shared;
    Object.defineProperty(Navigator.prototype, "share", {
      value: (data: unknown) => {
        shared.push(data);
        return Promise.resolve();
      },
    });
  });
  await upload(page, "sample1.jpg", "3 faces found");
  await page.getByRole("button", { name: "Share…" }).click();
  await page.getByRole("button", { name: "Send with another app…" }).click();
  const shared = await page.evaluate(() => (window as unknown as { shared: Array<{ url: string }> }).shared);
  expect(shared.map((data) => data.url)).toEqual([page.url()]);
});
