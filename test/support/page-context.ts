/**
 * One browser context for a test file's pages, instead of one per test. Each new context starts a
 * renderer process of its own, and on the 2-core development machine (a VM, where a process start
 * is dear) that came to about 3 s of CPU per test, against about 0.8 s for a page in a context
 * already running: the largest share of the suite's CPU. A page left open on `keepAt` (the same
 * site as the tests' pages: 127.0.0.1, any port) keeps that renderer process alive between tests.
 * Each test still starts from nothing: `newPage` closes the pages opened before it and clears the
 * storage of every origin they used (localStorage, IndexedDB, cookies, caches) and the HTTP cache,
 * as a fresh context would have them.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";

export interface PageContext {
  context: BrowserContext;
  /** Closes the pages opened before (not the keeper) and clears what they stored. */
  reset(): Promise<void>;
  /** A page for the current test, after `reset()`. */
  newPage(): Promise<Page>;
}

export async function pageContext(browser: Browser, keepAt: string, options: BrowserContextOptions = {}): Promise<PageContext> {
  const context = await browser.newContext(options);
  const origins = new Set<string>();
  context.on("request", (r) => {
    const url = new URL(r.url());
    if (url.protocol === "http:" || url.protocol === "https:") origins.add(url.origin);
  });
  const keeper = await context.newPage();
  await keeper.goto(keepAt);
  const cdp = await context.newCDPSession(keeper);
  const reset = async () => {
    await Promise.all(context.pages().filter((p) => p !== keeper).map((p) => p.close()));
    await Promise.all([...origins].map((origin) => cdp.send("Storage.clearDataForOrigin", { origin, storageTypes: "all" })));
    await cdp.send("Network.clearBrowserCache");
  };
  return {
    context,
    reset,
    async newPage() {
      await reset();
      return context.newPage();
    },
  };
}
