import { expect, test } from "@playwright/test";

test("the footer leads to the API reference, which renders without errors @phone", async ({ page }) => {
  const problems: string[] = [];
  page.on("console", (message) => {
    // The app serves no favicon; everything else must load and run under the page's CSP.
    if (message.type() === "error" && !/404 \(Not Found\)/.test(message.text()))
      problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto("/");
  await page.getByRole("contentinfo").getByRole("link", { name: "API reference" }).click();
  await expect(page).toHaveURL(/\/docs$/);
  await expect(page.getByRole("heading", { level: 1, name: "Face finder API" })).toBeVisible();
  await page
    .getByRole("navigation", { name: "Endpoints" })
    .getByRole("link", { name: /face-detection\/\{id\}/ })
    .click();
  await expect(page).toHaveURL(/#faceDetection\.getDetails$/);
  await expect(page.getByRole("heading", { name: "Get a face detection" })).toBeInViewport();
  await expect(page.getByText("faces[].landmarks")).toBeVisible();
  expect(problems).toEqual([]);
});
