/**
 * The chat page (public/) as the Chromium tests see it: the servers they run against, a probe
 * installed in the page that reads what the last exchange shows (state, status, answer, each step
 * as drawn), a page of its own per test (in one browser context per file, cleared between tests)
 * with what it sends recorded, and waits on what the page shows, checked on every change of the page. Used by test/node/browser.test.ts and
 * test/node/browser-newcomer.test.ts.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { inject } from "vitest";
import { launchChromium } from "../../tools/chromium";
import { pageContext } from "./page-context";
import { startLocalStack, type LocalStack } from "../../tools/run/local-stack";
import { startWorker, type RunningWorker } from "../../tools/run/worker";

/** The key the page tests' stacks accept (they serve anonymous clients too). */
export const PAGE_API_KEY = "browser-test-key-3f9a";

export interface PageServers {
  browser: Browser;
  /** The stack `npm start` runs, on the Worker's bundle. */
  stack: LocalStack;
  /** The same Worker with the fake Azure as its upstream, for answers paced on cue. */
  paced: RunningWorker;
  /** With `corsOrigin`: another stack, listing that origin in CORS_ORIGINS. */
  corsStack: LocalStack | undefined;
  /** Where the tests open their pages: one browser context for the file (testPages). */
  pages: TestPages;
  stop(): Promise<void>;
}

/** What the page tests run against, started side by side; if any fails, what did start is stopped. */
export async function startPageServers(corsOrigin?: string): Promise<PageServers> {
  const timeoutMs = 150_000;
  const bundle = inject("workerBundle");
  const configured = { API_KEYS: PAGE_API_KEY, ALLOW_ANONYMOUS: "true" };
  const started = await Promise.allSettled([
    launchChromium(),
    // 20 ms per streamed piece: answers take a few seconds, long enough to watch mid-stream.
    startLocalStack({ bundle, delayMs: 20, configured, timeoutMs }),
    startWorker({ bundle, vars: { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: "browser-fake-azure-key", ALLOW_ANONYMOUS: "true", UPSTREAM_TIMEOUT_MS: "120000" }, timeoutMs }),
    corsOrigin === undefined ? undefined : startLocalStack({ bundle, delayMs: 20, configured: { ...configured, CORS_ORIGINS: corsOrigin }, timeoutMs }),
  ] as const);
  const value = <T>(s: PromiseSettledResult<T>) => (s.status === "fulfilled" ? s.value : undefined);
  const [browser, stack, paced, corsStack] = [value(started[0]), value(started[1]), value(started[2]), value(started[3])];
  const stop = async () => {
    await browser?.close();
    await Promise.all([stack?.stop(), paced?.stop(), corsStack?.stop()]);
  };
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  try {
    return { browser: browser!, stack: stack!, paced: paced!, corsStack, pages: await testPages(browser!, `${stack!.url}/health`), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface StepView {
  tool: string; status: string; badge: string; content: string; duration: string; bar: number;
  /** The raw parameters and result (folded under "Details" until opened), and whether they are open. */
  details: string; detailsOpen: boolean;
  /** The bar's left edge from its track's, and the track's width (px). */
  barLeft: number; track: number;
  /** The server's execution_duration the page drew (data-duration), or null while none. */
  durationMs: number | null;
  /** Laid out (not folded away). */
  visible: boolean;
}
export interface TurnView {
  state: string; statusText: string;
  /** The answer as shown: the text of its rendered Markdown. */
  answer: string;
  /** What the page says went wrong, and the server's own message folded under it (null when none). */
  error: string | null; errorDetail: string | null;
  meta: string; steps: StepView[]; userImages: number;
  userText: string;
  /** The one-line summary of the finished steps, when shown (narrow screens). */
  summary: string | null;
  /** The notes shown under the user's message (images not sent again, steps in another language). */
  notes: string[];
}

/** In the page: what the last exchange shows. */
export function installProbe() {
  (window as unknown as { __turn: () => TurnView | null }).__turn = () => {
    const turns = document.querySelectorAll<HTMLElement>(".turn");
    const turn = turns[turns.length - 1];
    if (!turn) return null;
    const text = (sel: string, root: ParentNode = turn) => root.querySelector(sel)?.textContent ?? "";
    const errorNode = turn.querySelector<HTMLElement>(".turn-error")!;
    const shown = (node: Element | null) => !!node && node.getBoundingClientRect().height > 0;
    const summary = turn.querySelector(".steps-summary");
    return {
      state: turn.dataset.state ?? "",
      statusText: text(".turn-status"),
      answer: text(".answer"),
      error: errorNode.hidden ? null : text(".error-text"),
      errorDetail: errorNode.hidden || turn.querySelector<HTMLElement>(".error-detail")!.hidden ? null : text(".error-message"),
      meta: text(".turn-meta"),
      userImages: turn.querySelectorAll(".user-images img").length,
      userText: text(".user-text"),
      summary: shown(summary) ? summary!.textContent : null,
      notes: [...turn.querySelectorAll(".turn-note")].filter(shown).map((n) => n.textContent ?? ""),
      steps: [...turn.querySelectorAll<HTMLElement>(".step")].map((s) => {
        const bar = s.querySelector<HTMLElement>(".step-bar")!.getBoundingClientRect();
        const track = s.querySelector<HTMLElement>(".step-track")!.getBoundingClientRect();
        return {
          tool: s.dataset.tool ?? "",
          status: s.dataset.status ?? "",
          badge: text(".step-status", s),
          content: text(".step-content", s),
          duration: text(".step-duration", s),
          bar: bar.width,
          barLeft: bar.left - track.left,
          track: track.width,
          durationMs: s.dataset.duration ? Number(s.dataset.duration) : null,
          visible: shown(s),
          details: [...s.querySelectorAll("pre")].map((p) => p.textContent).join("\n"),
          detailsOpen: s.querySelector<HTMLDetailsElement>(".step-detail")!.open,
        };
      }),
    };
  };
}

export interface OpenedPage {
  page: Page;
  errors: string[];
  chatRequests: Record<string, string>[];
  /** Every request to /api/…: method, path and query, and the body of each POST. */
  apiRequests: { method: string; path: string; body: string | null }[];
  /** /api/chat requests whose response was read to its end, and those that failed (aborted). */
  chatsFinished: () => number;
  chatsFailed: string[];
}

/** A page of its own for each test: opened, recorded, and on the chat page at `base` once it is ready. */
export interface TestPages {
  /**
   * The current test's page on `base` (the chat page), once it is ready; what it sends is
   * recorded. It closes the pages opened before it and clears what they stored, so every test
   * starts from nothing: no conversation, no settings. A viewport is the page's own; options only a
   * browser context has (a phone's `isMobile`, `deviceScaleFactor`, …) get a context of their own.
   */
  open(base: string, options?: BrowserContextOptions): Promise<OpenedPage>;
}

/** The chat page tests' pages: one browser context for the file (test/support/page-context.ts). */
export async function testPages(browser: Browser, keepAt: string): Promise<TestPages> {
  const pages = await pageContext(browser, keepAt, { viewport: DEFAULT_VIEWPORT });
  /** The last test's context of its own, if it had one. */
  let own: BrowserContext | undefined;
  return {
    async open(base, options = {}) {
      await own?.close();
      own = undefined;
      const { viewport, ...contextOnly } = options;
      if (Object.keys(contextOnly).length > 0) {
        await pages.reset();
        const opened = await openChatPage(browser, base, options);
        own = opened.page.context();
        return opened;
      }
      const page = await pages.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return preparePage(page, base);
    },
  };
}

const DEFAULT_VIEWPORT = { width: 1100, height: 850 };

/** A fresh browser context (its own storage) on the page at `base`, once it is ready; what it sends is recorded. */
export async function openChatPage(browser: Browser, base: string, options: BrowserContextOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: DEFAULT_VIEWPORT, ...options });
  return preparePage(await context.newPage(), base);
}

async function preparePage(page: Page, base: string): Promise<OpenedPage> {
  const errors: string[] = [];
  const chatRequests: Record<string, string>[] = [];
  const chatsFailed: string[] = [];
  const apiRequests: OpenedPage["apiRequests"] = [];
  let finished = 0;
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => {
    if (r.url().endsWith("/api/chat")) chatRequests.push(r.headers());
    const url = new URL(r.url());
    if (url.pathname.startsWith("/api/")) apiRequests.push({ method: r.method(), path: url.pathname + url.search, body: r.postData() });
  });
  page.on("requestfinished", (r) => {
    if (r.url().endsWith("/api/chat")) finished++;
  });
  page.on("requestfailed", (r) => {
    if (r.url().endsWith("/api/chat")) chatsFailed.push(r.failure()?.errorText ?? "failed");
  });
  await page.addInitScript(installProbe);
  await page.goto(`${base}/`);
  await page.waitForSelector("body[data-ready=true]");
  return { page, errors, chatRequests, apiRequests, chatsFinished: () => finished, chatsFailed };
}

/**
 * Waits until the last exchange satisfies `predicate`; returns what it showed then. It is checked
 * in the page on every change of the document (a MutationObserver, so no state the page passes
 * through between two changes is skipped), and every 50 ms besides for what changes without one
 * (layout). Not on every frame: a wait polled per frame kept Chromium drawing 60 frames a second
 * for as long as it lasted, most of the page tests' CPU. On timeout the error says what the page
 * showed and the end of `logs()` (the Worker's output).
 */
export async function waitForTurn(page: Page, predicate: string, timeout: number, logs: () => string): Promise<TurnView> {
  try {
    // A string, not a function: what runs in the page is exactly this (no transpiler helpers).
    return (await page.evaluate(`new Promise((resolve, reject) => {
      const holds = (t) => (${predicate});
      const check = () => {
        const turn = window.__turn();
        if (turn && holds(turn)) {
          stop();
          resolve(turn);
        }
      };
      const observer = new MutationObserver(check);
      const poll = setInterval(check, 50);
      const timer = setTimeout(() => {
        stop();
        reject(new Error("waitForTurn: timed out after ${timeout} ms"));
      }, ${timeout});
      const stop = () => {
        observer.disconnect();
        clearInterval(poll);
        clearTimeout(timer);
      };
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      check();
    })`)) as TurnView;
  } catch (error) {
    const seen = await page.evaluate(() => (window as unknown as { __turn: () => TurnView | null }).__turn()).catch(() => "(the page is gone)");
    throw new Error(`${(error as Error).message}\nwaiting for: ${predicate}\nthe page showed: ${JSON.stringify(seen, null, 1)}\nthe Worker said: ${logs().slice(-1500)}`);
  }
}

/** The predicate of an exchange that ended. */
export const ENDED = `t.state === "done" || t.state === "error" || t.state === "stopped"`;

export async function send(page: Page, text: string) {
  await page.fill("#message", text);
  await page.press("#message", "Enter");
}

export const step = (view: TurnView, tool: string, i = 0) => view.steps.filter((s) => s.tool === tool)[i];

/** The fake Azure's paced answer `[[fake:chunks …]]` from piece `from` to `to` (exclusive). */
export const words = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `w${from + i} `).join("");

