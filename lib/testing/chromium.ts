/**
 * Debian's Chromium, as Playwright launches it here (Playwright can't download its own browsers on these machines).
 * Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
 */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
  ],
};
