/**
 * The one way the tests start a browser: Debian's Chromium (or $CHROMIUM_PATH) driven by
 * playwright-core, headless, with a fresh profile. A missing browser fails the suite (no
 * skipping): launch throws. Screenshots go to SCREENSHOTS.
 */
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const SCREENSHOTS = "test-results/screenshots";

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
