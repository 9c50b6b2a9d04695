/**
 * The page's chats kept by the service, in real Chromium against the stack `npm start` runs (the
 * Worker's bundle, the demo upstream, the mock MCP server): the list of the user's chats newest
 * first, opening one, a new chat, deleting with a confirmation, each chat at its own URL brought
 * back from the server after a reload and in another browser context with the same key (images
 * included), the drawer on a phone, and no serious or critical axe-core violation with the list
 * shown, in both languages at both sizes.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, SCREENSHOTS } from "../../tools/chromium";
import { startLocalStack, type LocalStack } from "../../tools/run/local-stack";
import { tinyPng } from "../../tools/png";
import { seriousViolations } from "../support/axe";
import { ENDED, installProbe, send, waitForTurn } from "../support/chat-page";
import { pageContext, type PageContext } from "../support/page-context";

const KEY = "browser-chats-key-5e1d77";
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

let browser: Browser | undefined;
let stack: LocalStack | undefined;
let pages: PageContext;
/** Contexts a test opened besides the file's own: closed by the next test and at the end. */
let extra: BrowserContext[] = [];

beforeAll(async () => {
  const started = await Promise.allSettled([
    launchChromium(),
    startLocalStack({ bundle: inject("workerBundle"), delayMs: 5, configured: { API_KEYS: KEY }, timeoutMs: 150_000 }),
  ] as const);
  browser = started[0].status === "fulfilled" ? started[0].value : undefined;
  stack = started[1].status === "fulfilled" ? started[1].value : undefined;
  const failed = started.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  pages = await pageContext(browser!, `${stack!.url}/health`, { viewport: { width: 1100, height: 850 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const userId = () => `chats_${crypto.randomUUID().slice(0, 8)}`;
const newChatId = () => `web_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

interface Opened {
  page: Page;
  errors: string[];
  /** Every request to /api/…: method, path and query, and the body of a POST. */
  api: { method: string; path: string; body: string | null }[];
}

/** Sets the key (and the user id) in the page's storage before its script runs, and records what it sends. */
async function prepare(page: Page, user: string | undefined): Promise<Opened> {
  const errors: string[] = [];
  const api: Opened["api"] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/api/")) api.push({ method: r.method(), path: url.pathname + url.search, body: r.postData() });
  });
  await page.addInitScript(
    ([key, user]) => {
      localStorage.setItem("chatapi.apiKey", key);
      if (user) localStorage.setItem("chatapi.userId", user);
    },
    [KEY, user ?? ""] as const,
  );
  await page.addInitScript(installProbe);
  return { page, errors, api };
}

/** The page at `path` (e.g. "/#/chat/…") in the file's context (cleared first), or in a context of its own with `options`. */
async function open(user: string | undefined, path = "/", options?: BrowserContextOptions): Promise<Opened> {
  await Promise.all(extra.map((c) => c.close()));
  extra = [];
  let page: Page;
  if (options) {
    await pages.reset();
    const context = await browser!.newContext(options);
    extra.push(context);
    page = await context.newPage();
  } else {
    page = await pages.newPage();
  }
  const opened = await prepare(page, user);
  await page.goto(`${stack!.url}${path}`);
  await page.waitForSelector("body[data-ready=true]");
  return opened;
}

/** A chat made through the API (as another device of the same user would), answered by the demo upstream. */
async function apiChat(chatId: string, user: string, text: string, lang: "zh" | "en" = "zh"): Promise<void> {
  const res = await fetch(`${stack!.url}/api/chat`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", "accept-language": lang },
    body: JSON.stringify({ user_id: user, chat_id: chatId, history: "server", stream: false, query: [{ role: "user", content: text }] }),
  });
  expect(res.status).toBe(200);
  await res.json();
}

const listTitles = (page: Page) => page.locator("#chat-list .chat-title").allTextContents();
const waitForList = (page: Page, n: number) => page.waitForFunction((n) => document.querySelectorAll("#chat-list li").length === n, n, { timeout: 20_000 });
const ended = (page: Page, count = 1) => waitForTurn(page, `(${ENDED}) && document.querySelectorAll(".turn").length === ${count}`, 30_000, () => stack!.output());

/** Every exchange the page shows: the user's text and images, the state, the answer, the steps as drawn. */
function shownTurns(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>(".turn")].map((turn) => ({
      state: turn.dataset.state,
      user: turn.querySelector(".user-text")?.textContent ?? "",
      images: [...turn.querySelectorAll<HTMLImageElement>(".user-images img")].map((img) => ({ scheme: img.src.split(":")[0], width: img.naturalWidth, height: img.naturalHeight })),
      answer: turn.querySelector(".answer")!.textContent,
      answerHtml: turn.querySelector(".answer")!.innerHTML.length > 0,
      steps: [...turn.querySelectorAll(".step")].map((s) => `${s.querySelector(".step-content")!.textContent} | ${s.querySelector(".step-status")!.textContent}`),
      detailsFolded: [...turn.querySelectorAll<HTMLDetailsElement>(".step-detail")].every((d) => !d.open),
      meta: turn.querySelector(".turn-meta")!.textContent,
    })),
  );
}

const apiGet = (path: string) => fetch(`${stack!.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });

describe("the list of chats", () => {
  it("shows the user's chats by title, newest first; a link opens one as the service keeps it, at its own URL", async () => {
    const user = userId();
    const ids = [newChatId(), newChatId(), newChatId()];
    for (const [i, id] of ids.entries()) await apiChat(id, user, `question number ${i + 1}`);
    const { page, errors, api } = await open(user);
    await waitForList(page, 3);
    expect(await listTitles(page)).toEqual(["question number 3", "question number 2", "question number 1"]);
    expect(api.find((r) => r.path.startsWith("/api/chats"))!.path).toBe(`/api/chats?user_id=${user}&limit=20`);
    expect(await page.locator("#empty").isVisible()).toBe(true);

    await page.getByRole("link", { name: /question number 2/ }).click();
    await ended(page);
    expect(new URL(page.url()).hash).toBe(`#/chat/${ids[1]}`);
    const [turn] = await shownTurns(page);
    expect(turn).toMatchObject({ state: "done", user: "question number 2", answerHtml: true, detailsFolded: true });
    expect(turn.answer.length).toBeGreaterThan(0);
    expect(turn.steps).toContain("请求处理完成 | 成功");
    expect(turn.meta).toMatch(/^用时 \d+\.\d 秒 · tokens：输入 \d+，输出 \d+，共 \d+ · 请求 ID：req_\w+$/);
    expect(await page.locator('#chat-list [aria-current="page"] .chat-title').textContent()).toBe("question number 2");
    expect(api.some((r) => r.method === "GET" && r.path === `/api/chat/${ids[1]}/messages`)).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/chats-list.png` });

    // Back: the page as it was before the chat was opened.
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll(".turn").length === 0 && !document.querySelector("#empty")!.hasAttribute("hidden"));
    expect(errors).toEqual([]);
  });

  it("New chat: an empty conversation without a chat URL; its first message sends only itself with history: server, and the chat joins the list at the top", async () => {
    const user = userId();
    const older = newChatId();
    await apiChat(older, user, "an older chat");
    const { page, errors, api } = await open(user, `/#/chat/${older}`);
    expect((await shownTurns(page)).map((t) => t.user)).toEqual(["an older chat"]);
    await waitForList(page, 1);

    await page.click("#new-chat");
    expect(await page.locator(".turn").count()).toBe(0);
    expect(new URL(page.url()).hash).toBe("");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("message");
    await send(page, "你好，新的对话");
    await ended(page);
    await send(page, "第二条消息");
    await ended(page, 2);
    await waitForList(page, 2);
    expect(await listTitles(page)).toEqual(["你好，新的对话", "an older chat"]);

    const posts = api.filter((r) => r.method === "POST" && r.path === "/api/chat").map((r) => JSON.parse(r.body!));
    expect(posts).toHaveLength(2);
    const chatId = posts[0].chat_id as string;
    expect(chatId).not.toBe(older);
    for (const [i, text] of ["你好，新的对话", "第二条消息"].entries()) {
      expect(posts[i]).toMatchObject({ chat_id: chatId, user_id: user, history: "server", query: [{ role: "user", content: text }] });
    }
    expect(new URL(page.url()).hash).toBe(`#/chat/${chatId}`);
    const stored = await (await apiGet(`/api/chat/${chatId}/messages`)).json();
    expect(stored.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(errors).toEqual([]);
  });

  it("deletes a chat only after a confirmation: Cancel (or Escape) keeps it; Delete removes it from the list and the service (404 afterwards)", async () => {
    const user = userId();
    const [keep, doomed] = [newChatId(), newChatId()];
    await apiChat(keep, user, "keep this one");
    await apiChat(doomed, user, "delete this one");
    const { page, errors, api } = await open(user, `/#/chat/${doomed}`);
    await waitForList(page, 2);

    const remove = page.getByRole("button", { name: "删除对话「delete this one」" });
    await remove.click();
    const dialog = page.getByRole("dialog", { name: "删除这个对话？" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("「delete this one」的全部消息和图片将从服务器上删除，无法恢复。");
    // The safe answer has the focus; Escape is a cancel, and the focus goes back to the button.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("取消");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("删除对话「delete this one」");
    await remove.click();
    await dialog.getByRole("button", { name: "取消" }).click();
    expect(await listTitles(page)).toEqual(["delete this one", "keep this one"]);
    expect(api.filter((r) => r.method === "DELETE")).toEqual([]);

    // Confirmed, with the keyboard.
    await remove.focus();
    await page.keyboard.press("Enter");
    await dialog.getByRole("button", { name: "删除" }).click();
    await waitForList(page, 1);
    expect(await listTitles(page)).toEqual(["keep this one"]);
    expect(api.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual([`/api/chat/${doomed}`]);
    expect((await apiGet(`/api/chat/${doomed}/messages`)).status).toBe(404);
    // It was the open chat: a new one takes its place; the keyboard goes to the chat left in the list.
    expect(await page.locator(".turn").count()).toBe(0);
    expect(new URL(page.url()).hash).toBe("");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("keep this one");
    expect((await apiGet(`/api/chat/${keep}/messages`)).status).toBe(200);
    expect(errors).toEqual([]);
  });
});

describe("a chat at its own URL", () => {
  it("comes back from the service after a reload, images included (fetched with the key), and in another browser context with the same key", async () => {
    const user = userId();
    const { page, errors, api } = await open(user);
    await page.setInputFiles("#file", { name: "wide.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(30, 20)) });
    await send(page, "这张图片是什么？");
    await ended(page);
    await send(page, "find me a qwen model");
    await ended(page, 2);
    const live = await shownTurns(page);
    const url = page.url();
    const chatId = new URL(url).hash.replace("#/chat/", "");
    expect(chatId).toMatch(/^web_[0-9a-f]{24}$/);
    expect(live[0].images).toEqual([{ scheme: "data", width: 30, height: 20 }]);
    // The second message went alone: the image is not sent again; the model got it from the service.
    const posts = api.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body!));
    expect(posts[1].query).toEqual([{ role: "user", content: "find me a qwen model" }]);

    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    const restored = await shownTurns(page);
    const same = (turns: typeof live) => turns.map(({ images, ...rest }) => ({ ...rest, images: images.map(({ width, height }) => ({ width, height })) }));
    expect(same(restored)).toEqual(same(live));
    expect(restored[0].images).toEqual([{ scheme: "blob", width: 30, height: 20 }]);
    expect(restored[1].steps.some((s) => s.startsWith("工具 search_models 调用成功"))).toBe(true);
    const file = api.find((r) => r.method === "GET" && r.path.startsWith(`/api/chat/${chatId}/files/`));
    expect(file).toBeDefined();
    expect(api.filter((r) => r.method === "POST")).toHaveLength(2);
    await page.screenshot({ path: `${SCREENSHOTS}/chats-reloaded.png`, fullPage: true });

    // Another browser (its own storage; the same key, another user id): the link alone brings it back.
    const other = await browser!.newContext({ viewport: { width: 1100, height: 850 } });
    extra.push(other);
    const second = await prepare(await other.newPage(), undefined);
    await second.page.goto(url);
    await second.page.waitForSelector("body[data-ready=true]");
    expect(same(await shownTurns(second.page))).toEqual(same(live));
    expect(second.errors).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("says so when the service has no such chat, and the next message starts a new one", async () => {
    const { page, errors, api } = await open(userId(), `/#/chat/${newChatId()}`);
    expect(await page.locator("#chat-note").textContent()).toBe("服务器上没有这个对话（可能已删除或已过期）。发一条消息就会开始一个新的对话。");
    await send(page, "hello");
    await ended(page);
    const post = JSON.parse(api.find((r) => r.method === "POST")!.body!);
    expect(new URL(page.url()).hash).toBe(`#/chat/${post.chat_id}`);
    expect(await page.locator("#chat-note").isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });
});

describe("on a phone", () => {
  it("the list is a drawer: opened by its button (the keyboard goes in, the rest is inert), closed by Escape (the keyboard back on the button); a chat opened from it closes it", async () => {
    const user = userId();
    const id = newChatId();
    await apiChat(id, user, "a chat from the phone");
    const { page, errors } = await open(user, "/", PHONE);
    await waitForList(page, 1);
    const drawer = page.locator("#chats");
    expect(await drawer.isVisible()).toBe(false);
    const toggle = page.getByRole("button", { name: "对话记录", exact: true });
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    await toggle.click();
    await page.waitForFunction(() => document.activeElement?.closest("#chats") !== null);
    expect(await drawer.isVisible()).toBe(true);
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    expect(await page.evaluate(() => [document.querySelector<HTMLElement>(".top")!.inert, document.querySelector<HTMLElement>(".chat")!.inert])).toEqual([true, true]);
    // Slid in from the left edge, within the screen.
    await expect.poll(async () => (await drawer.boundingBox())!.x).toBe(0);
    expect((await drawer.boundingBox())!.width).toBeLessThanOrEqual(390);
    expect((await drawer.boundingBox())!.height).toBe(844);
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.activeElement?.id === "chats-toggle");
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    expect(await page.evaluate(() => document.querySelector<HTMLElement>(".chat")!.inert)).toBe(false);

    await toggle.click();
    await page.getByRole("link", { name: /a chat from the phone/ }).click();
    await ended(page);
    await drawer.waitFor({ state: "hidden" });
    expect(new URL(page.url()).hash).toBe(`#/chat/${id}`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("chats-toggle");
    expect(errors).toEqual([]);
  });
});

describe("accessibility with the list (axe-core)", () => {
  it.each([
    ["desktop", "zh"],
    ["desktop", "en"],
    ["phone", "zh"],
    ["phone", "en"],
  ] as const)("%s, %s: no serious or critical violation with the list shown (the drawer open on a phone), and with the delete dialog open", async (size, lang) => {
    const user = userId();
    const id = newChatId();
    await apiChat(id, user, lang === "zh" ? "帮我找一个 qwen 模型" : "find me a qwen model", lang);
    await apiChat(newChatId(), user, lang === "zh" ? "另一个对话" : "another chat", lang);
    const { page, errors } = await open(user, `/#/chat/${id}`, size === "phone" ? PHONE : { viewport: { width: 1280, height: 900 } });
    if (lang === "en") await page.click("button[data-lang=en]");
    await waitForList(page, 2);
    if (size === "phone") {
      await page.click("#chats-toggle");
      await page.waitForFunction(() => document.activeElement?.closest("#chats") !== null);
    }
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/chats-axe-${size}-${lang}.png` });
    await page.locator(".chat-delete").first().click();
    await page.getByRole("dialog").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    expect(errors).toEqual([]);
  }, 60_000);
});
