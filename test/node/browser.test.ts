/**
 * The page at `/` in real Chromium (playwright-core driving the browser at $CHROMIUM_PATH, default
 * Debian's /usr/bin/chromium) against the stack `npm start` runs: demo upstream + ModelScope mock
 * MCP server + the Worker (its deployable bundle in workerd, tools/worker-bundle.ts). Each chat is watched while it streams (the timeline and a partial
 * answer before `done`), not only at its end. Stopping is tested against a second Worker whose
 * upstream (the fake Azure) streams a long answer slowly, so "mid-answer" is a state the page is in
 * for seconds, not a moment a fast stream can skip. A page on another origin imports /client.js
 * and chats (against a third Worker that lists that origin in CORS_ORIGINS: with CORS_ORIGINS set,
 * the resumable-chat endpoints the page uses answer 500 to same-origin requests, a server bug told
 * in the report of the branch that found it). Screenshots go to test-results/screenshots/.
 * Each test has its own browser context (storage included) and its own chats. They run one after
 * another: run three at a time, each took about three times as long (Chromium's rendering of the
 * streaming pages is most of their CPU), so the file took no less.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { launchChromium, SCREENSHOTS } from "../../tools/chromium";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_LABEL } from "../../tools/demo-upstream";
import { fakeRequests, newNonce, waitForFake } from "../../tools/fake-azure-client";
import { startCutProxy } from "../../tools/cut-proxy";
import { startLocalStack, type LocalStack } from "../../tools/local-stack";
import { tinyPng } from "../../tools/png";
import { startWorker, type RunningWorker } from "../../tools/worker";

const SHOTS = SCREENSHOTS;
const API_KEY = "browser-test-key-3f9a";

let stack: LocalStack;
/** The stack with CORS_ORIGINS listing another origin, for the page on that origin. */
let corsStack: LocalStack | undefined;
/** The same Worker with the fake Azure as its upstream, for answers paced on cue. */
let paced: RunningWorker;
/** Another origin: its page imports the typed client from the Worker, as the README shows. */
let otherOrigin: { url: string; server: Server };
let browser: Browser;
const scratch = join(tmpdir(), `chatapi-browser-${process.pid}`);

beforeAll(async () => {
  mkdirSync(scratch, { recursive: true });
  otherOrigin = await serveOtherOrigin(() => corsStack!.url);
  // The three Workers and the browser start side by side (each Worker takes seconds to boot; all
  // three at once on a busy 2-core machine, more than wrangler's usual minute).
  const timeoutMs = 150_000;
  const started = await Promise.allSettled([
    launchChromium(),
    // 20 ms per streamed piece: answers take a few seconds, long enough to watch mid-stream.
    startLocalStack({ bundle: inject("workerBundle"), delayMs: 20, configured: { API_KEYS: API_KEY, ALLOW_ANONYMOUS: "true" }, timeoutMs }),
    startWorker({ bundle: inject("workerBundle"), vars: { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: "browser-fake-azure-key", ALLOW_ANONYMOUS: "true", UPSTREAM_TIMEOUT_MS: "120000" }, timeoutMs }),
    startLocalStack({ bundle: inject("workerBundle"), delayMs: 20, configured: { API_KEYS: API_KEY, ALLOW_ANONYMOUS: "true", CORS_ORIGINS: otherOrigin.url }, timeoutMs }),
  ] as const);
  const [launched, local, worker, cors] = started;
  if (launched.status === "fulfilled") browser = launched.value;
  if (local.status === "fulfilled") stack = local.value;
  if (worker.status === "fulfilled") paced = worker.value;
  if (cors.status === "fulfilled") corsStack = cors.value;
  const failed = started.find((s) => s.status === "rejected");
  if (failed) throw failed.reason; // afterAll stops what did start
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([stack?.stop(), paced?.stop(), corsStack?.stop()]);
  await new Promise((resolve) => otherOrigin?.server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * A page on its own origin (another port of 127.0.0.1) that imports the typed client from the
 * Worker's /client.js and chats with the Worker, as the README's browser example does; it puts
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

interface StepView {
  tool: string; status: string; badge: string; content: string; duration: string; bar: number; details: string;
  /** The bar's left edge from its track's, and the track's width (px). */
  barLeft: number; track: number;
  /** The server's execution_duration the page drew (data-duration), or null while none. */
  durationMs: number | null;
  /** Laid out (not folded away). */
  visible: boolean;
}
interface TurnView {
  state: string; statusText: string; answer: string; error: string | null; meta: string; steps: StepView[]; userImages: number;
  userText: string;
  /** The one-line summary of the finished steps, when shown (narrow screens). */
  summary: string | null;
  /** The notes shown under the user's message (images not sent again, steps in another language). */
  notes: string[];
}

/** In the page: what the last exchange shows. */
function installProbe() {
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
      error: errorNode.hidden ? null : errorNode.textContent,
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
        };
      }),
    };
  };
}

interface OpenedPage {
  page: Page;
  errors: string[];
  chatRequests: Record<string, string>[];
  /** Every request to /api/…: method, path and query, and the body of each POST. */
  apiRequests: { method: string; path: string; body: string | null }[];
  /** /api/chat requests whose response was read to its end, and those that failed (aborted). */
  chatsFinished: () => number;
  chatsFailed: string[];
}

async function openPage(options: BrowserContextOptions = {}, base = stack.url): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 850 }, ...options });
  const page = await context.newPage();
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

/** Waits (checking every frame) until the last exchange satisfies `predicate`; returns what it showed then. */
async function turnWhen(page: Page, predicate: string, timeout = 15_000): Promise<TurnView> {
  const handle = await page.waitForFunction(
    (body) => {
      const turn = (window as unknown as { __turn: () => TurnView | null }).__turn();
      return turn && new Function("t", `return (${body});`)(turn) ? turn : null;
    },
    predicate,
    { polling: "raf", timeout },
  ).catch(async (error) => {
    const seen = await page.evaluate(() => (window as unknown as { __turn: () => TurnView | null }).__turn());
    throw new Error(`${(error as Error).message}\nwaiting for: ${predicate}\nthe page showed: ${JSON.stringify(seen, null, 1)}\nthe Worker said: ${stack.output().slice(-1500)}`);
  });
  return (await handle.jsonValue()) as TurnView;
}

const finished = (page: Page) => turnWhen(page, `t.state === "done" || t.state === "error" || t.state === "stopped"`);

async function send(page: Page, text: string) {
  await page.fill("#message", text);
  await page.press("#message", "Enter");
}

const step = (view: TurnView, tool: string, i = 0) => view.steps.filter((s) => s.tool === tool)[i];

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
    expect(step(mid, "InputParser")).toMatchObject({ status: "Success", content: "解析输入：1 条消息，0 张图片" });
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
    expect(step(mid, "InputParser").content).toBe("解析输入：1 条消息，1 张图片");
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
    expect(bad.error).toMatch(/^错误 400：.*image/i);
    expect(bad.meta).toMatch(/请求 ID：req_\w+/);
    await page.screenshot({ path: `${SHOTS}/error-400.png`, fullPage: true });

    await page.click(".settings summary");
    await page.fill("#api-key", "wrong-key");
    await send(page, "你好");
    const denied = await finished(page);
    expect(denied.state).toBe("error");
    expect(denied.error).toBe("错误 401：Invalid API key");
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
    expect(await page.getAttribute("#message", "placeholder")).toBe("Type a message, Enter to send");
    expect(await page.getAttribute("html", "lang")).toBe("en");

    await send(page, "hello there");
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

const words = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `w${from + i} `).join("");

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
    // One POST; after the reload, the page read the run again from its start.
    const posts = apiRequests.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.path)).toEqual(["/api/chat"]);
    const chatId = JSON.parse(posts[0].body!).chat_id as string;
    expect(apiRequests.filter((r) => r.method === "GET").map((r) => r.path)).toEqual([`/api/chat/${chatId}/stream?after=0`]);
    // The upstream was asked once: the run went on in the service while the page was away.
    expect(await fakeRequests(inject("fakeAzureUrl"), nonce)).toHaveLength(1);

    // Reloaded again once it is over: shown from the browser's storage, asking the server nothing,
    // bars and all the same (they are the server's durations, not arrival times).
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    const kept = await turnWhen(page, "true");
    expect(kept).toEqual(end);
    expect(apiRequests).toHaveLength(2);
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
      const [post, ...rest] = apiRequests;
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

describe("the page: what a newcomer met", () => {
  it("sends each image once: ten with the first message, one with the second, whose history is text and says so", async () => {
    const { page, errors, apiRequests } = await openPage();
    const pngs = Array.from({ length: 10 }, (_, i) => ({ name: `p${i}.png`, mimeType: "image/png", buffer: Buffer.from(tinyPng(8 + i, 8)) }));
    await page.setInputFiles("#file", pngs);
    await expect.poll(() => page.locator("#attachments img").count()).toBe(10);
    await send(page, "这些是什么？");
    const first = await finished(page);
    expect(first.state).toBe("done");
    expect(step(first, "InputParser").content).toBe("解析输入：1 条消息，10 张图片");
    expect(first.notes).toEqual([]);

    await page.setInputFiles("#file", { name: "more.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(30, 20)) });
    await expect.poll(() => page.locator("#attachments img").count()).toBe(1);
    await send(page, "还有这张");
    const second = await finished(page);
    await page.screenshot({ path: `${SHOTS}/images-once.png`, fullPage: true });
    expect(second.state).toBe("done");
    expect(step(second, "InputParser").content).toBe("解析输入：3 条消息，1 张图片");
    expect(second.answer).toContain("其中有 1 张图片：第 1 张：PNG，30×20 像素");
    expect(second.notes).toEqual(["之前的 10 张图片没有随历史重发：历史只以文字发送。"]);

    const bodies = apiRequests.filter((r) => r.method === "POST" && r.path === "/api/chat").map((r) => JSON.parse(r.body!));
    const images = (body: { query: { content: unknown }[] }) => JSON.stringify(body.query).split('"input_image"').length - 1;
    expect(bodies.map(images)).toEqual([10, 1]);
    expect(bodies[1].query.slice(0, 2)).toEqual([
      { role: "user", content: "这些是什么？\n〔这里附有 10 张图片，当时已发送，不再重发〕" },
      { role: "assistant", content: first.answer },
    ]);
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
