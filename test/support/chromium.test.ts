import { chromium } from "@playwright/test";
import { describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, chooseChromium } from "./chromium";

describe("the test browser", () => {
  it("takes CHROMIUM_PATH when that file exists", async () => {
    await expect(chooseChromium({ CHROMIUM_PATH: process.execPath })).resolves.toEqual({
      executablePath: process.execPath,
      source: "system",
    });
  });

  it("refuses an unknown E2E_BROWSER", async () => {
    await expect(chooseChromium({ E2E_BROWSER: "firefox" })).rejects.toThrow(/E2E_BROWSER/);
  });

  it("falls back to the Chromium @sparticuz/chromium ships, which renders a page", async () => {
    const choice = await chooseChromium({ E2E_BROWSER: "bundled", CHROMIUM_PATH: "/nonexistent/chromium" });
    expect(choice.source).toBe("bundled");
    const browser = await chromium.launch({ executablePath: choice.executablePath, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 320, height: 200 } });
      await page.setContent('<main style="background:rgb(255,0,0);width:100%;height:100vh">Hello</main>');
      expect(await page.textContent("main")).toBe("Hello");
      const png = await page.screenshot();
      expect(png.subarray(1, 4).toString()).toBe("PNG");
    } finally {
      await browser.close();
    }
  });
});
