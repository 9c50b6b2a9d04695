/**
 * The one way the tests start a browser: Debian's Chromium (or $CHROMIUM_PATH) driven by
 * playwright-core, headless, with a fresh profile. A missing browser fails the suite (no
 * skipping): launch throws. Screenshots go to SCREENSHOTS.
 *
 * One renderer process per browser context (`--renderer-process-limit=1` without the site
 * isolation trials), where Chromium's default starts one or two for every new page: on the 2-core
 * development machine (a VM, where a process start is dear) a page test cost about 1.45 s of CPU
 * that way and 1.0 s this way. Site isolation is a defence against a page reading another site's
 * memory; the pages here are the service's own, and what a page can see (CORS, storage per origin)
 * is the same either way.
 */
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const SCREENSHOTS = "test-results/screenshots";

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--renderer-process-limit=1", "--disable-site-isolation-trials",
    ],
  });
}
