/**
 * The page at `/` in real Chromium (playwright-core driving the browser at $CHROMIUM_PATH, default
 * Debian's /usr/bin/chromium) against the stack `npm start` runs: demo upstream + ModelScope mock
 * MCP server + the Worker (its deployable bundle in workerd, tools/build/worker-bundle.ts). Each chat is
 * watched while it streams (the timeline and a partial answer before `done`), not only at its end
 * (test/support/chat-page.ts). Stopping and resuming are tested against a second Worker whose
 * upstream (the fake Azure) streams a long answer slowly, so "mid-answer" is a state the page is in
 * for seconds, not a moment a fast stream can skip. What a newcomer met, and /client.js from
 * another origin: test/node/browser-newcomer.test.ts (a file of its own so the two run side by
 * side). Screenshots go to test-results/screenshots/. Each test has its own page, starting with
 * empty storage (test/support/chat-page.ts `testPages`), and its own chats. They run one after
 * another: run three at a time, each took about three times as long (Chromium is most of their CPU).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SCREENSHOTS } from "../../tools/chromium";
import { startCutProxy } from "../../tools/fakes/cut-proxy";
import { DEMO_LABEL } from "../../tools/fakes/demo-upstream";
import { fakeRequests, newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import type { LocalStack } from "../../tools/run/local-stack";
import { tinyPng } from "../../tools/png";
import type { RunningWorker } from "../../tools/run/worker";
import { ENDED, PAGE_API_KEY as API_KEY, send, startPageServers, step, waitForTurn, words, type PageServers } from "../support/chat-page";

const SHOTS = SCREENSHOTS;
let servers: PageServers | undefined;
let stack: LocalStack;
let paced: RunningWorker;
let browser: Browser;
const scratch = join(tmpdir(), `chatapi-browser-${process.pid}`);

beforeAll(async () => {
  mkdirSync(scratch, { recursive: true });
  servers = await startPageServers();
  ({ browser, stack, paced } = servers);
}, 180_000);

afterAll(async () => {
  await servers?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const openPage = (options: BrowserContextOptions = {}, base = stack.url) => servers!.pages.open(base, options);
const turnWhen = (page: Page, predicate: string, timeout = 15_000) => waitForTurn(page, predicate, timeout, () => stack.output());
const finished = (page: Page) => turnWhen(page, ENDED);

describe("the page at /", () => {
  it("streams a text chat: steps and a partial answer show before done, then the whole answer", async () => {
    const { page, errors, chatRequests, chatsFinished, chatsFailed } = await openPage();
    expect(await page.title()).toBe("chatapi 对话");
    await send(page, "你好，请介绍一下你自己");

    const mid = await turnWhen(
      page,
      `t.state === "streaming" && t.answer.length > 0 && t.steps.some((s) => s.tool === "AzureOpenAI" && s.status === "Start")`,
    );
    await page.screenshot({ path: `${SHOTS}/text-streaming.png` });
    expect(step(mid, "System")).toMatchObject({ status: "Start", badge: "进行中" });
    expect(step(mid, "System").content).toMatch(/^开始处理用户 web_\w+ 的请求$/);
    expect(step(mid, "InputParser")).toMatchObject({ status: "Success", content: "解析输入：1 条消息，0 张图片；会话记录 0 条" });
    expect(step(mid, "AzureOpenAI").duration).toMatch(/…$/); // a live timer while it runs

    const end = await finished(page);
    await page.screenshot({ path: `${SHOTS}/text-done.png`, fullPage: true });
    expect(end.state).toBe("done");
    expect(end.statusText).toBe("完成");
    expect(end.answer.startsWith(mid.answer)).toBe(true);
    expect(end.answer.length).toBeGreaterThan(mid.answer.length);
    expect(end.answer).toContain(DEMO_LABEL);
    expect(end.answer).toContain("你最后说：「你好，请介绍一下你自己」");
    expect(end.steps.map((s) => [s.tool, s.status])).toEqual([["System", "Success"], ["InputParser", "Success"], ["MCP", "Success"], ["AzureOpenAI", "Success"]]);
    for (const s of end.steps) {
      expect(s.badge).toBe("成功");
      expect(s.duration).toMatch(/^\d+ ms$|^\d+\.\d\d s$/);
      expect(s.bar).toBeGreaterThan(0);
    }
    expect(end.meta).toMatch(/tokens：输入 \d+，输出 \d+，共 \d+/);
    expect(end.meta).toMatch(/请求 ID：req_\w+/);
    expect(chatRequests).toHaveLength(1);
    expect(chatRequests[0]["accept-language"]).toBe("zh");
    expect(chatRequests[0]).not.toHaveProperty("authorization");
    // The client reads the stream to its end: the request completes, it is not aborted.
    await expect.poll(chatsFinished, { timeout: 10_000 }).toBe(1);
    expect(chatsFailed).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("sends an attached PNG and shows what the model saw, while streaming", async () => {
    const { page, errors, chatRequests } = await openPage();
    await page.setInputFiles("#file", { name: "gradient.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(48, 32)) });
    await expect.poll(() => page.locator("#attachments img").count()).toBe(1);
    await send(page, "这是什么图像？");

    const mid = await turnWhen(page, `t.state === "streaming" && t.answer.length > 0`);
    expect(step(mid, "InputParser").content).toBe("解析输入：1 条消息，1 张图片；会话记录 0 条");
    expect(mid.userImages).toBe(1);
    expect(await page.locator("#attachments img").count()).toBe(0);

    const end = await finished(page);
    expect(end.state).toBe("done");
    expect(end.answer).toContain("其中有 1 张图片：第 1 张：PNG，48×32 像素");
    expect(chatRequests).toHaveLength(1);
    await page.screenshot({ path: `${SHOTS}/image-done.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it("shows the MCP tool call in the timeline as it happens", async () => {
    const { page, errors } = await openPage();
    await send(page, "帮我找一个 qwen 模型");

    const mid = await turnWhen(page, `t.state === "streaming" && t.answer.length > 0 && t.steps.some((s) => s.content.includes("search_models"))`);
    await page.screenshot({ path: `${SHOTS}/tool-streaming.png` });
    const call = mid.steps.find((s) => s.tool === "MCP" && s.content.includes("search_models"))!;
    expect(call).toMatchObject({ status: "Success", content: "工具 search_models 调用成功" });
    expect(step(mid, "System").status).toBe("Start");
    expect(step(mid, "AzureOpenAI", 1).status).toBe("Start");

    const end = await finished(page);
    expect(end.state).toBe("done");
    const tool = end.steps.find((s) => s.tool === "MCP" && s.content.includes("search_models"))!;
    expect(tool.details).toContain('"query": "qwen"');
    expect(tool.details).toContain("Qwen/Qwen2.5-7B-Instruct");
    expect(end.steps.filter((s) => s.tool === "AzureOpenAI")).toHaveLength(2);
    expect(end.answer).toContain("工具 search_models 返回了结果");
    await page.locator(".step-detail").nth(0).evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await page.screenshot({ path: `${SHOTS}/tool-done.png`, fullPage: true });
    expect(errors).toEqual([]);
    // Room for both waits' own 15 s bounds: if one runs out, its error says what the page showed
    // and what wrangler logged (a run of the whole suite once hit vitest's 30 s with neither).
  }, 60_000);

  it("stops mid-answer: the answer stays partial, the page says it stopped, and the upstream is cancelled", async () => {
    // The fake Azure streams 80 pieces ("w0 ", "w1 ", …) 250 ms apart: the page is mid-answer for
    // about 20 s, whatever the machine's speed.
    const { page, errors, apiRequests } = await openPage({}, paced.url);
    const nonce = newNonce("stop");
    await send(page, `[[fake:chunks n=80 delay=250]] ${nonce}`);
    const mid = await turnWhen(page, `t.state === "streaming" && t.answer.includes("w2 ")`);
    expect(step(mid, "AzureOpenAI")).toMatchObject({ status: "Start" });
    expect(await page.isEnabled("#stop")).toBe(true);
    await page.click("#stop");
    // The Stop button goes disabled: the keyboard is back in the message box, not lost.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("message");

    const stopped = await turnWhen(page, `t.state !== "streaming" && t.state !== "waiting"`);
    expect(stopped.state).toBe("stopped");
    expect(stopped.statusText).toBe("已停止");
    expect(stopped.error).toBeNull();
    expect(stopped.answer).toMatch(/^w0 w1 w2 (w\d+ )*$/);
    expect(stopped.answer).not.toContain("w79");
    expect(step(stopped, "System")).toMatchObject({ status: "Start", badge: "未完成" });
    expect(stopped.meta).toMatch(/^用时 \d+\.\d 秒 · 请求 ID：req_\w+$/);
    // Stopping reached the upstream: the Worker closed its request to the fake Azure before the end…
    const [record] = await waitForFake(inject("fakeAzureUrl"), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null, 10_000);
    expect(record.finished).toBe(false);
    // …so nothing more can arrive, and nothing did.
    expect((await turnWhen(page, "true")).answer).toBe(stopped.answer);
    expect(await page.isEnabled("#send")).toBe(true);
    expect(await page.isDisabled("#stop")).toBe(true);
    // Stop asked the server (POST …/stop of the conversation's chat_id), and the answer's stream
    // ended with the server's 499 event, which closed the running steps "stopped by the client"
    // (the page shows them unfinished, with the server's word in their details); had the page
    // cut the stream itself, no step would say so.
    const [post] = apiRequests.filter((r) => r.method === "POST" && r.path === "/api/chat");
    const chatId = JSON.parse(post.body!).chat_id as string;
    expect(chatId).toMatch(/^web_[0-9a-f]{24}$/);
    expect(apiRequests.filter((r) => r.path.endsWith("/stop"))).toEqual([{ method: "POST", path: `/api/chat/${chatId}/stop`, body: null }]);
    expect(step(stopped, "System").details).toContain("Stopped by the client");
    await page.screenshot({ path: `${SHOTS}/stopped.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it("refuses a wrong-type or oversized image in the page, before sending anything", async () => {
    const { page, errors, chatRequests } = await openPage();
    await page.setInputFiles("#file", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
    await expect.poll(() => page.textContent("#composer-error")).toBe("无法添加「notes.txt」：只支持 PNG、JPEG、WebP、GIF 图片。");

    const big = join(scratch, "big.png");
    const bytes = Buffer.alloc(20 * 1024 * 1024 + 1);
    bytes.set(tinyPng(2, 2));
    writeFileSync(big, bytes);
    await page.setInputFiles("#file", big);
    await expect.poll(() => page.textContent("#composer-error")).toBe("无法添加「big.png」：图片大小 20.0 MiB，超过 20 MiB 上限。");
    expect(await page.locator("#attachments img").count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/image-refused.png` });

    await page.click("#send");
    await expect.poll(() => page.textContent("#composer-error")).toBe("请输入消息或添加图片。");
    expect(chatRequests).toHaveLength(0);
    expect(errors).toEqual([]);
  });

  it("shows the server's error envelope plainly (a 400 for a fake PNG, a 401 for a wrong key)", async () => {
    const { page, errors } = await openPage();
    await page.setInputFiles("#file", { name: "fake.png", mimeType: "image/png", buffer: Buffer.from("not really a png") });
    await send(page, "看看这张图");
    const bad = await finished(page);
    expect(bad.state).toBe("error");
    expect(bad.statusText).toBe("出错");
    // In the page's words; the server's own message (which names the image) folded under them.
    expect(bad.error).toBe("服务无法处理这个请求：请检查消息和图片。（错误 400）");
    expect(bad.errorDetail).toMatch(/image/i);
    expect(bad.meta).toMatch(/请求 ID：req_\w+/);
    await page.screenshot({ path: `${SHOTS}/error-400.png`, fullPage: true });

    await page.click(".settings summary");
    await page.fill("#api-key", "wrong-key");
    await page.click(".settings summary");
    expect(await page.locator(".settings").getAttribute("open")).toBeNull();
    await send(page, "你好");
    const denied = await finished(page);
    expect(denied.state).toBe("error");
    expect(denied.error).toBe("API 密钥缺失或无效：请在「设置」中填写正确的密钥。（错误 401）");
    expect(denied.errorDetail).toBe("Invalid API key");
    // The key is what is wrong: the settings stay open, where it goes.
    expect(await page.locator(".settings").getAttribute("open")).not.toBeNull();
    expect(errors).toEqual([]);
  });

  it("switches to English, keeps the API key, and sends both", async () => {
    const { page, errors, chatRequests } = await openPage();
    await page.click("button[data-lang=en]");
    await page.click(".settings summary");
    await page.fill("#api-key", API_KEY);
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.inputValue("#api-key")).toBe(API_KEY);
    expect(await page.getAttribute("#message", "placeholder")).toBe("Message");
    expect(await page.textContent("#key-hint")).toBe("Enter to send · Shift+Enter for a new line");
    expect(await page.getAttribute("html", "lang")).toBe("en");

    await page.fill("#message", "hello there");
    await page.click("#send");
    // Send goes disabled while the answer comes: the keyboard is in the message box.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("message");
    const mid = await turnWhen(page, `t.state === "streaming" && t.answer.length > 0`);
    expect(step(mid, "System")).toMatchObject({ status: "Start", badge: "Running" });
    const end = await finished(page);
    expect(end.state).toBe("done");
    expect(end.statusText).toBe("Done");
    expect(step(end, "System").content).toBe("Request completed");
    expect(end.answer).toContain('Your last message: "hello there"');
    expect(chatRequests.at(-1)).toMatchObject({ authorization: `Bearer ${API_KEY}`, "accept-language": "en" });

    await page.click("button[data-lang=zh]");
    expect(await page.textContent(".turn .section-title")).toBe("处理步骤");
    expect((await turnWhen(page, "true")).statusText).toBe("完成");
    expect(errors).toEqual([]);
  });

  it("fits a phone-sized screen", async () => {
    const { page, errors } = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await send(page, "帮我找一个 qwen 模型");
    await turnWhen(page, `t.state === "streaming" && t.answer.length > 0`);
    const end = await finished(page);
    expect(end.state).toBe("done");
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      width: window.innerWidth,
      composer: document.querySelector("#composer")!.getBoundingClientRect().toJSON(),
      send: document.querySelector("#send")!.getBoundingClientRect().toJSON(),
    }));
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width);
    expect(layout.send.right).toBeLessThanOrEqual(layout.width);
    expect(layout.composer.bottom).toBeLessThanOrEqual(844 + 1);
    await page.screenshot({ path: `${SHOTS}/phone.png` });
    expect(errors).toEqual([]);
  });
});

describe("the page: resumable answers", () => {
  it("resumes after a reload mid-answer: the timeline and the answer complete, every piece once, the run not sent again", async () => {
    const { page, errors, apiRequests } = await openPage({}, paced.url);
    const nonce = newNonce("reload");
    await send(page, `[[fake:chunks n=60 delay=100]] ${nonce}`);
    const before = await turnWhen(page, `t.state === "streaming" && t.answer.includes("w5 ")`);
    expect(before.answer).not.toContain("w59");
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");

    // Straight after the reload: the same exchange, being rebuilt from the run's events.
    const rebuilt = await turnWhen(page, `t.state === "streaming" && t.answer.length > 0`);
    expect(rebuilt.userText).toBe(`[[fake:chunks n=60 delay=100]] ${nonce}`);
    await page.screenshot({ path: `${SHOTS}/resumed-after-reload.png` });
    const end = await finished(page);
    await page.screenshot({ path: `${SHOTS}/resumed-after-reload-done.png`, fullPage: true });
    expect(end.state).toBe("done");
    expect(end.answer).toBe(words(0, 60));
    expect(end.steps.map((s) => [s.tool, s.status, s.badge])).toEqual([["System", "Success", "成功"], ["InputParser", "Success", "成功"], ["AzureOpenAI", "Success", "成功"]]);
    expect(end.meta).toMatch(/^用时 \d+\.\d 秒 · tokens：输入 \d+，输出 \d+，共 \d+ · 请求 ID：req_\w+$/);
    expect(await page.locator(".turn").count()).toBe(1);
    // One POST; after the reload, the page read the chat the service keeps (the message, no
    // answer yet), then the run again from its start.
    const posts = apiRequests.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.path)).toEqual(["/api/chat"]);
    const chatId = JSON.parse(posts[0].body!).chat_id as string;
    const chatGets = () => apiRequests.filter((r) => r.method === "GET" && r.path.startsWith(`/api/chat/${chatId}`)).map((r) => r.path);
    expect(chatGets()).toEqual([`/api/chat/${chatId}/messages`, `/api/chat/${chatId}/stream?after=0`]);
    // The upstream was asked once: the run went on in the service while the page was away.
    expect(await fakeRequests(inject("fakeAzureUrl"), nonce)).toHaveLength(1);

    // Reloaded again once it is over: shown from what the service keeps, the run not read again,
    // bars and all the same (they are the server's durations, not arrival times).
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    const kept = await turnWhen(page, "true");
    expect(kept).toEqual(end);
    expect(chatGets()).toEqual([`/api/chat/${chatId}/messages`, `/api/chat/${chatId}/stream?after=0`, `/api/chat/${chatId}/messages`]);
    expect(apiRequests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("picks the answer up again by itself when the connection drops mid-answer", async () => {
    const proxy = await startCutProxy(paced.url);
    try {
      const { page, errors, apiRequests } = await openPage({}, proxy.url);
      await send(page, "[[fake:chunks n=40 delay=100]]");
      await turnWhen(page, `t.state === "streaming" && t.answer.includes("w5 ")`);
      expect(proxy.cut()).toBeGreaterThan(0);
      const lost = await turnWhen(page, `t.statusText.startsWith("连接中断")`);
      expect(lost.statusText).toBe("连接中断，正在重连（第 1 次）…");
      await page.screenshot({ path: `${SHOTS}/reconnecting.png` });
      const end = await finished(page);
      expect(end.state).toBe("done");
      expect(end.statusText).toBe("完成");
      expect(end.answer).toBe(words(0, 40));
      // (The list of chats aside: GET /api/chats.)
      const [post, ...rest] = apiRequests.filter((r) => !r.path.startsWith("/api/chats"));
      expect(post.method).toBe("POST");
      const chatId = JSON.parse(post.body!).chat_id as string;
      expect(rest).toHaveLength(1);
      expect(rest[0].path).toMatch(new RegExp(`^/api/chat/${chatId}/stream\\?after=([5-9]|[1-9]\\d+)$`));
      expect(errors).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
