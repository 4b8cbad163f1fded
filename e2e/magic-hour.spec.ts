import { expect, test } from "@playwright/test";
import { photoPath } from "./fixtures";

/** The same user flow with Magic Hour (the fake one) as the provider. */

test("upload → faces → share works as in local mode, and says what Magic Hour can't do", async ({
  page,
  browser,
}) => {
  await page.goto("/");
  await expect(page.getByText("Uses Magic Hour", { exact: true })).toBeVisible();
  await page.getByLabel("Photo file").setInputFiles(photoPath("sample4.jpg"));
  await expect(page.getByRole("heading", { name: "3 faces found" })).toBeVisible({ timeout: 30_000 });
  const faces = page.getByRole("list", { name: "Faces" }).getByRole("listitem");
  await expect(faces).toHaveCount(3);
  await expect(page.getByText(/Magic Hour reports faces without scores/)).toBeVisible();
  // No positions from Magic Hour: no frames on the photo.
  await expect(page.locator("[data-face-frame]")).toHaveCount(0);

  const stranger = await browser.newContext();
  const theirs = await stranger.newPage();
  await theirs.goto(page.url());
  await expect(theirs.getByRole("heading", { name: "3 faces found" })).toBeVisible();
  await stranger.close();

  await page.getByLabel("Confidence").fill("0.7");
  await page.getByRole("button", { name: "Re-run at 0.70" }).click();
  await expect(page).toHaveURL(/confidence=0\.70/);
  await expect(page.getByRole("heading", { name: "3 faces found" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(/found at confidence 0\.70/)).toBeVisible();
});
