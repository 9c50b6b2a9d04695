/**
 * One browser context for a test file's pages, instead of one per test. On the 2-core development
 * machine (a VM, where starting a process is dear) a test in a new context cost about 3 s of CPU.
 * A page left open on `keepAt` (the same site as the tests' pages: 127.0.0.1, any port) keeps the
 * context's processes running between tests: closing a test's page and opening the next in a
 * context with no other page open cost about 3.1 s of CPU, with the kept page about 0.8 s.
 * Each test still starts from nothing: `newPage` closes the pages opened before it and clears the
 * storage of every origin they used (localStorage, IndexedDB, cookies, caches) and the HTTP cache,
 * as a fresh context would have them.
 */
import type { Browser, BrowserContextOptions, Page } from "playwright-core";

export interface PageContext {
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
    reset,
    async newPage() {
      await reset();
      return context.newPage();
    },
  };
}
