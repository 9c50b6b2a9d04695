/**
 * The page at `/` in real Chromium, continued from test/node/browser.test.ts (same stack, same
 * probe: test/support/chat-page.ts): what a newcomer met (images sent once, the view following the
 * answer, duration bars, switching languages, a phone's folded steps), and a page on another origin
 * that imports /client.js and chats (against a third Worker that lists that origin in
 * CORS_ORIGINS). Screenshots go to test-results/screenshots/.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCREENSHOTS } from "../../tools/chromium";
import type { LocalStack } from "../../tools/run/local-stack";
import { tinyPng } from "../../tools/png";
import type { RunningWorker } from "../../tools/run/worker";
import { ENDED, send, startPageServers, step, waitForTurn, type PageServers } from "../support/chat-page";

const SHOTS = SCREENSHOTS;
let servers: PageServers | undefined;
let stack: LocalStack;
/** The stack with CORS_ORIGINS listing another origin, for the page on that origin. */
let corsStack: LocalStack | undefined;
let paced: RunningWorker;
/** Another origin: its page imports the typed client from the Worker, as docs/clients.md shows. */
let otherOrigin: { url: string; server: Server };
let browser: Browser;

beforeAll(async () => {
  otherOrigin = await serveOtherOrigin(() => corsStack!.url);
  servers = await startPageServers(otherOrigin.url);
  ({ browser, stack, paced, corsStack } = servers);
}, 180_000);

afterAll(async () => {
  await servers?.stop();
  await new Promise((resolve) => otherOrigin?.server.close(resolve));
});

/**
 * A page on its own origin (another port of 127.0.0.1) that imports the typed client from the
 * Worker's /client.js and chats with the Worker, as the browser example of docs/clients.md does; it puts
 * what it saw in window.__result.
 */
async function serveOtherOrigin(workerUrl: () => string): Promise<{ url: string; server: Server }> {
  const page = (base: string) => `<!doctype html><title>another app</title>
<script type="module">
  import { streamChat, ChatApiError } from "${base}/client.js";
  const request = { user_id: "other_origin", query: [{ role: "user", content: "hello from another origin" }] };
  const result = { origin: location.origin, types: [], answer: "" };
  try {
    for await (const e of streamChat(request, { baseUrl: "${base}", lang: "en" })) {
      result.types.push(e.type);
      if (e.type === "delta") result.answer += e.text;
    }
  } catch (err) {
    result.error = err instanceof ChatApiError ? \`\${err.status} \${err.message}\` : String(err);
  }
  window.__result = result;
</script>`;
  const server = createServer((_, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page(workerUrl())));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const openPage = (options: BrowserContextOptions = {}, base = stack.url) => servers!.pages.open(base, options);
const turnWhen = (page: Page, predicate: string, timeout = 15_000) => waitForTurn(page, predicate, timeout, () => stack.output());
const finished = (page: Page) => turnWhen(page, ENDED);

describe("the page: what a newcomer met", () => {
  it("sends each image once: ten with the first message, one with the second, which goes alone (the service keeps the conversation)", async () => {
    const { page, errors, apiRequests } = await openPage();
    const pngs = Array.from({ length: 10 }, (_, i) => ({ name: `p${i}.png`, mimeType: "image/png", buffer: Buffer.from(tinyPng(8 + i, 8)) }));
    await page.setInputFiles("#file", pngs);
    await expect.poll(() => page.locator("#attachments img").count()).toBe(10);
    await send(page, "这些是什么？");
    const first = await finished(page);
    expect(first.state).toBe("done");
    expect(step(first, "InputParser").content).toBe("解析输入：1 条消息，10 张图片；会话记录 0 条");
    expect(first.notes).toEqual([]);

    await page.setInputFiles("#file", { name: "more.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(30, 20)) });
    await expect.poll(() => page.locator("#attachments img").count()).toBe(1);
    await send(page, "还有这张");
    const second = await finished(page);
    await page.screenshot({ path: `${SHOTS}/images-once.png`, fullPage: true });
    expect(second.state).toBe("done");
    // Ten stored images and one new are more than one request may carry: the service leaves the
    // first exchange out of the model's input, and its step says so.
    expect(step(second, "InputParser").content).toBe("解析输入：1 条消息，1 张图片；会话记录 0 条（较早的 2 条未发送给模型：超出上限）");
    expect(second.answer).toContain("其中有 1 张图片：第 1 张：PNG，30×20 像素");
    expect(second.notes).toEqual([]);

    const bodies = apiRequests.filter((r) => r.method === "POST" && r.path === "/api/chat").map((r) => JSON.parse(r.body!));
    const images = (body: { query: { content: unknown }[] }) => JSON.stringify(body.query).split('"input_image"').length - 1;
    expect(bodies.map(images)).toEqual([10, 1]);
    expect(bodies.map((b) => [b.history, b.query.length])).toEqual([["server", 1], ["server", 1]]);
    expect(bodies[1].chat_id).toBe(bodies[0].chat_id);
    expect(errors).toEqual([]);
  });

  it("follows the answer as it grows while the reader is at the bottom, and leaves the view alone once they scroll up", async () => {
    const { page, errors } = await openPage({ viewport: { width: 700, height: 420 } }, paced.url);
    await send(page, "[[fake:chunks n=400 delay=30]]");
    const atBottom = `window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2`;
    const overflows = `document.documentElement.scrollHeight > window.innerHeight + 200`;
    // The page grows past the screen; after each of these pieces the view is at its bottom again.
    await page.waitForFunction(overflows, undefined, { polling: "raf", timeout: 20_000 });
    for (const k of [120, 160, 200]) {
      await page.waitForFunction(`document.querySelector(".turn .answer").textContent.includes("w${k} ") && ${atBottom}`, undefined, { polling: "raf", timeout: 10_000 });
    }
    // The reader scrolls up to read: the view stays where they put it while the answer grows.
    await page.mouse.move(350, 200);
    await page.mouse.wheel(0, -300);
    await page.waitForFunction(`!(${atBottom})`, undefined, { polling: "raf" });
    await page.waitForTimeout(200);
    const readingAt = await page.evaluate(() => window.scrollY);
    const heightThen = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.waitForFunction(`document.querySelector(".turn .answer").textContent.includes("w260 ")`, undefined, { timeout: 10_000 });
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeGreaterThan(heightThen);
    expect(await page.evaluate(() => window.scrollY)).toBe(readingAt);
    // Back at the bottom, it follows again.
    await page.mouse.wheel(0, 100_000);
    await page.waitForFunction(`document.querySelector(".turn .answer").textContent.includes("w320 ") && ${atBottom}`, undefined, { polling: "raf", timeout: 10_000 });
    await page.screenshot({ path: `${SHOTS}/following.png` });
    await page.click("#stop");
    await finished(page);
    expect(errors).toEqual([]);
  });

  it("draws each duration bar from the server's execution_duration alone, to the scale of the longest", async () => {
    const { page, errors } = await openPage();
    await send(page, "帮我找一个 qwen 模型");
    const end = await finished(page);
    expect(end.state).toBe("done");
    const longest = Math.max(...end.steps.map((s) => s.durationMs!));
    expect(longest).toBe(step(end, "System").durationMs);
    for (const s of end.steps) {
      expect(s.durationMs).toEqual(expect.any(Number));
      expect(s.duration).toBe(s.durationMs! >= 1000 ? `${(s.durationMs! / 1000).toFixed(2)} s` : `${s.durationMs} ms`);
      // No offset from when the step's event arrived: every bar starts at the track's start.
      expect(s.barLeft).toBe(0);
      expect(s.bar / s.track).toBeCloseTo(Math.max(s.durationMs! / longest, 0.008), 2);
    }
    expect(errors).toEqual([]);
  });

  it("switches the whole interface's language at once, and notes a turn whose steps came in the other language", async () => {
    const { page, errors } = await openPage();
    await send(page, "你好");
    expect((await finished(page)).notes).toEqual([]);
    await page.setInputFiles("#file", { name: "a.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(4, 4)) });
    expect(await page.getAttribute(".thumb-remove", "title")).toBe("移除图片");

    await page.click("button[data-lang=en]");
    const chrome = await page.evaluate(() => ({
      title: document.title,
      send: document.querySelector("#send")!.textContent,
      stop: document.querySelector("#stop")!.textContent,
      newChat: document.querySelector("#new-chat")!.textContent,
      settings: document.querySelector(".settings summary")!.textContent,
      attach: document.querySelector(".attach")!.getAttribute("title"),
      remove: document.querySelector(".thumb-remove")!.getAttribute("title"),
      sections: [...document.querySelectorAll(".turn .section-title")].map((n) => n.textContent),
    }));
    expect(chrome).toEqual({ title: "chatapi chat", send: "Send", stop: "Stop", newChat: "New chat", settings: "Settings", attach: "Add images", remove: "Remove image", sections: ["Steps", "Answer"] });
    const zhTurn = await turnWhen(page, "true");
    expect(zhTurn.statusText).toBe("Done");
    expect(zhTurn.steps.map((s) => s.badge)).toEqual(zhTurn.steps.map(() => "Success"));
    expect(zhTurn.meta).toMatch(/^\d+\.\d s · tokens: \d+ in, \d+ out, \d+ total · Request ID: req_\w+$/);
    expect(zhTurn.notes).toEqual(["Step texts are in Chinese: the server wrote them in the language this message was sent in."]);
    expect(step(zhTurn, "System").content).toBe("请求处理完成"); // the server's text, as it came

    await page.click(".thumb-remove");
    await send(page, "hello");
    const enTurn = await finished(page);
    expect(enTurn.notes).toEqual([]);
    expect(step(enTurn, "System").content).toBe("Request completed");

    await page.click("button[data-lang=zh]");
    const notes = await page.evaluate(() => [...document.querySelectorAll(".turn")].map((turn) => [...turn.querySelectorAll(".turn-note")].filter((n) => n.getBoundingClientRect().height > 0).map((n) => n.textContent)));
    expect(notes).toEqual([[], ["步骤说明是英文的：服务器按发送这条消息时的语言生成。"]]);
    await page.screenshot({ path: `${SHOTS}/language-note.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it("on a phone, folds finished steps into one line above the answer; a tap unfolds them", async () => {
    const { page, errors } = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await send(page, "帮我找一个 qwen 模型");
    // While the answer streams, only what is still running shows; the rest is one line.
    const mid = await turnWhen(page, `t.state === "streaming" && t.answer.length > 0 && t.steps.length === 6`);
    expect(mid.steps.filter((s) => s.visible).map((s) => s.status)).toEqual(["Start", "Start"]);
    expect(mid.summary).toBe("4 个步骤已完成 · 工具调用 1 次 · 展开");
    const end = await finished(page);
    expect(end.state).toBe("done");
    expect(end.steps.filter((s) => s.visible)).toEqual([]);
    expect(end.summary).toBe("6 个步骤已完成 · 工具调用 1 次 · 展开");
    const answerOffset = () => page.evaluate(() => document.querySelector(".turn .answer")!.getBoundingClientRect().top - document.querySelector(".turn")!.getBoundingClientRect().top);
    const folded = await answerOffset();
    expect(folded).toBeLessThan(300);
    await page.evaluate(() => document.querySelector(".turn")!.scrollIntoView());
    await page.screenshot({ path: `${SHOTS}/phone-folded.png` });

    await page.tap(".steps-summary");
    const open = await turnWhen(page, "true");
    expect(open.steps.filter((s) => s.visible)).toHaveLength(6);
    expect(open.summary).toBe("6 个步骤已完成 · 工具调用 1 次 · 收起");
    expect(await answerOffset()).toBeGreaterThan(folded + 300);
    await page.screenshot({ path: `${SHOTS}/phone-unfolded.png`, fullPage: true });
    await page.tap(".steps-summary");
    expect((await turnWhen(page, "true")).steps.filter((s) => s.visible)).toEqual([]);

    // On a wide screen the same turn keeps its timeline open, and there is no summary line.
    await page.setViewportSize({ width: 1100, height: 850 });
    const wide = await turnWhen(page, "true");
    expect(wide.summary).toBeNull();
    expect(wide.steps.filter((s) => s.visible)).toHaveLength(6);
    expect(errors).toEqual([]);
  });
});

describe("/client.js from another origin", () => {
  it("imports the typed client from a page on an origin listed in CORS_ORIGINS, and chats", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${otherOrigin.url}/`);
    const handle = await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, undefined, { timeout: 15_000 });
    const result = (await handle.jsonValue()) as { origin: string; types: string[]; answer: string; error?: string };
    expect(result.error).toBeUndefined();
    expect(result.origin).toBe(otherOrigin.url);
    expect(result.origin).not.toBe(corsStack!.url);
    expect(result.types.at(-1)).toBe("done");
    expect(result.answer).toContain('Your last message: "hello from another origin"');
    expect(errors).toEqual([]);
    await context.close();
  });
});
