/**
 * Screenshots of the chat page as a person meets it: the stack `npm start` runs (the Worker's
 * deployable bundle, the demo upstream, the ModelScope mock MCP server) in real Chromium, one
 * chat that calls a tool and answers in Markdown, with the list of chats (on a phone, its drawer
 * open), at a desktop's and a phone's size, in Chinese and in English. `npm run screenshot`
 * (scripts/screenshot.ts) writes docs/page.png with it.
 */
import type { Browser } from "playwright-core";
import { launchChromium } from "../chromium";
import { startLocalStack } from "../run/local-stack";
import { buildWorkerBundle, removeWorkerBundle } from "../build/worker-bundle";

export interface Shot {
  /** Where the PNG goes. */
  path: string;
  lang: "zh" | "en";
  size: "desktop" | "phone";
}

/** The message each screenshot's chat sends: a tool call (search_models) and a Markdown answer. */
export const SHOT_MESSAGES = { zh: "帮我找一个 qwen 模型", en: "find me a qwen model" } as const;

const SIZES = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

/** Boots the stack, takes every shot, stops what it started. */
export async function takePageScreenshots(shots: Shot[]): Promise<void> {
  const bundle = await buildWorkerBundle();
  let browser: Browser | undefined;
  const stack = await startLocalStack({ bundle, delayMs: 5, timeoutMs: 150_000 }).catch((error) => {
    removeWorkerBundle(bundle);
    throw error;
  });
  try {
    browser = await launchChromium();
    for (const shot of shots) {
      const context = await browser.newContext({ ...SIZES[shot.size], locale: shot.lang === "zh" ? "zh-CN" : "en-US" });
      try {
        await context.addInitScript((lang) => localStorage.setItem("chatapi.lang", lang), shot.lang);
        const page = await context.newPage();
        await page.goto(`${stack.url}/`);
        await page.waitForSelector("body[data-ready=true]");
        await page.fill("#message", SHOT_MESSAGES[shot.lang]);
        await page.click("#send");
        await page.waitForSelector(".turn[data-state=done]", { timeout: 60_000 });
        // The chat listed once its answer is kept.
        await page.waitForSelector("#chat-list li", { state: "attached", timeout: 20_000 });
        // The caret back in an empty message box, as after sending; the page scrolled to the answer.
        await page.evaluate(() => window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "instant" }));
        if (shot.size === "phone") {
          // On a phone the list is a drawer: shown open over the chat.
          await page.click("#chats-toggle");
          await page.waitForFunction(() => {
            const nav = document.querySelector("#chats")!.getBoundingClientRect();
            return nav.left === 0 && document.activeElement?.closest("#chats") !== null;
          });
        }
        await page.screenshot({ path: shot.path });
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser?.close();
    await stack.stop();
    removeWorkerBundle(bundle);
  }
}
