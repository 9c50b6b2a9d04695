/**
 * `useChat` from @ai-sdk/react (the newest: 4.x, on ai 7) in real Chromium against the stack
 * `npm start` runs (demo upstream + ModelScope mock MCP server + the Worker's bundle): a React page on
 * its own origin (tools/fakes/ai-sdk-page, bundled by esbuild at test time) with `DefaultChatTransport`
 * pointed at the Worker's /api/ui/chat, the key in `headers` and `user_id` in `body`. What it
 * renders is checked while the chat streams (steps before the answer is complete) and at its end
 * (the demo's label in the answer, the tool's output); a reload mid-run resumes the running
 * chat (`resume: true`); with the service keeping the conversation (the page's `persist` mode:
 * one message per request, the messages loaded back) a reload brings every turn back; a tool call
 * that waits for approval is approved and denied with the page's buttons (the SDK's approval flow). Screenshots go to test-results/screenshots/ (ai-sdk-*.png).
 */

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { launchChromium, SCREENSHOTS } from "../../tools/chromium";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_LABEL } from "../../tools/fakes/demo-upstream";
import { serveAiSdkPage, type AiSdkPage } from "../../tools/fakes/ai-sdk-page/serve";
import { startLocalStack, type LocalStack } from "../../tools/run/local-stack";
import { ROOT } from "../../tools/run/worker";
import { pageContext, type PageContext } from "../support/page-context";

const SHOTS = SCREENSHOTS;
const API_KEY = "ai-sdk-react-key-8c1d";

let page: AiSdkPage;
let stack: LocalStack;
let browser: Browser;
/** The tests' pages: one browser context for the file, cleared between tests (test/support/page-context.ts). */
let pages: PageContext;

beforeAll(async () => {
  // Chromium starts while the page and then the Worker do.
  const launching = launchChromium();
  try {
    // The page's origin first: the Worker must allow it (CORS_ORIGINS).
    page = await serveAiSdkPage();
    // 20 ms per streamed piece: answers take a few seconds, long enough to watch mid-stream.
    // Booting beside Chromium on a busy 2-core machine can take wrangler past its usual minute.
    // The mock MCP server's get_model_info waits for a person's approval (the demo upstream calls it
    // when asked about a model id); search_models does not.
    stack = await startLocalStack({ bundle: inject("workerBundle"), delayMs: 20, mockApproval: ["get_model_info"], configured: { API_KEYS: API_KEY, CORS_ORIGINS: page.origin }, timeoutMs: 150_000 });
  } finally {
    browser = await launching;
  }
  // A Chinese browser: Accept-Language zh-CN, so the steps are in Chinese.
  pages = await pageContext(browser, `${stack.url}/health`, { viewport: { width: 1000, height: 900 }, locale: "zh-CN" });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await page?.close();
});

interface StepView { id: string; tool: string; status: string; content: string }
interface ToolView { name: string; state: string; input: string; output: string }
interface MessageView { role: string; id: string; text: string; steps: StepView[]; tools: ToolView[]; rounds: number; meta: string }
interface View { status: string; error: string | null; messages: MessageView[]; assistant: MessageView | null }

/** In the page: what it renders. */
function installProbe() {
  (window as unknown as { __view: () => View }).__view = () => {
    const text = (root: ParentNode, sel: string) => root.querySelector(sel)?.textContent ?? "";
    const messages = [...document.querySelectorAll<HTMLElement>("#messages .message")].map((m) => ({
      role: m.dataset.role ?? "",
      id: m.dataset.id ?? "",
      text: [...m.querySelectorAll(".text")].map((p) => p.textContent).join(""),
      steps: [...m.querySelectorAll<HTMLElement>(".step")].map((s) => ({ id: s.dataset.id ?? "", tool: s.dataset.tool ?? "", status: s.dataset.status ?? "", content: text(s, ".present") })),
      tools: [...m.querySelectorAll<HTMLElement>(".tool")].map((t) => ({ name: t.dataset.toolName ?? "", state: t.dataset.state ?? "", input: text(t, ".tool-input"), output: text(t, ".tool-output") })),
      rounds: m.querySelectorAll("hr.round").length,
      meta: text(m, ".meta"),
    }));
    return {
      status: document.body.dataset.status ?? "",
      error: document.querySelector("#error")?.textContent ?? null,
      messages,
      assistant: messages.filter((m) => m.role === "assistant").at(-1) ?? null,
    };
  };
}

interface Opened {
  tab: Page;
  errors: string[];
  /** Each request to the Worker's /api/ui/chat…: method, path, status, the key it carried. */
  calls: { method: string; path: string; status: number; authorization?: string; body?: string }[];
}

async function open(params: Record<string, string> = {}): Promise<Opened> {
  const tab = await pages.newPage();
  const errors: string[] = [];
  const calls: Opened["calls"] = [];
  tab.on("pageerror", (e) => errors.push(String(e)));
  tab.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  tab.on("response", (res) => {
    const url = new URL(res.url());
    if (!url.pathname.startsWith("/api/ui/chat") || res.request().method() === "OPTIONS") return;
    calls.push({ method: res.request().method(), path: url.pathname, status: res.status(), authorization: res.request().headers().authorization, body: res.request().postData() ?? undefined });
  });
  await tab.addInitScript(installProbe);
  await tab.goto(page.url({ api: `${stack.url}/api/ui/chat`, key: API_KEY, user: "react_user", ...params }));
  await tab.waitForSelector("body[data-ready=true]");
  return { tab, errors, calls };
}

/** Waits (checking every frame) until what the page shows satisfies `predicate` (a JS expression of `v`); returns it. */
async function viewWhen(tab: Page, predicate: string, timeout = 20_000): Promise<View> {
  const handle = await tab
    .waitForFunction(
      (body) => {
        const view = (window as unknown as { __view: () => View }).__view();
        return new Function("v", `return (${body});`)(view) ? view : null;
      },
      predicate,
      { polling: "raf", timeout },
    )
    .catch(async (error) => {
      const seen = await tab.evaluate(() => (window as unknown as { __view: () => View }).__view());
      throw new Error(`${(error as Error).message}\nwaiting for: ${predicate}\nthe page showed: ${JSON.stringify(seen, null, 1)}\nthe Worker said: ${stack.output().slice(-1500)}`);
    });
  return (await handle.jsonValue()) as View;
}

async function send(tab: Page, text: string) {
  await tab.fill("#prompt", text);
  await tab.press("#prompt", "Enter");
}

describe("the useChat page's own packages", () => {
  it("type-check the page (tools/fakes/ai-sdk-page/tsconfig.json) with them, installed in its folder and not at the root", async () => {
    // serveAiSdkPage (beforeAll) installed them: ai 7 and @ai-sdk/react 4 declare Node 22.
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(Object.keys({ ...root.dependencies, ...root.devDependencies }).filter((name) => name === "ai" || name.startsWith("@ai-sdk/"))).toEqual([]);
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const result = await promisify(execFile)(process.execPath, [tsc, "-p", join(ROOT, "tools/fakes/ai-sdk-page/tsconfig.json")], { cwd: ROOT }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    expect(result.stdout).toBe("");
  }, 60_000);
});

describe("useChat (@ai-sdk/react) against /api/ui/chat in Chromium", () => {
  it("renders the steps, the MCP tool call and the answer as they stream, then the whole answer", async () => {
    const { tab, errors, calls } = await open();
    await send(tab, "帮我找一个 qwen 模型");

    // While it streams, before any answer text: the steps are there, some still running.
    const early = await viewWhen(tab, `v.status === "streaming" && v.assistant && v.assistant.steps.length > 0 && v.assistant.text === ""`);
    expect(early.assistant!.steps[0]).toMatchObject({ tool: "System", status: "Start", content: "开始处理用户 react_user 的请求" });

    // Mid-answer: the tool call has its output, the answer is partly there, the run is still going.
    const mid = await viewWhen(tab, `v.status === "streaming" && v.assistant && v.assistant.text.length > 0 && v.assistant.tools.some((t) => t.state === "output-available")`);
    await tab.screenshot({ path: `${SHOTS}/ai-sdk-streaming.png` });
    expect(mid.assistant!.steps.find((s) => s.tool === "System")!.status).toBe("Start");
    expect(mid.assistant!.steps.filter((s) => s.tool === "AzureOpenAI").at(-1)!.status).toBe("Start");
    expect(mid.assistant!.meta).toBe("");

    const end = await viewWhen(tab, `v.status === "ready"`);
    await tab.screenshot({ path: `${SHOTS}/ai-sdk-done.png`, fullPage: true });
    expect(end.error).toBeNull();
    expect(end.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(end.messages[0].text).toBe("帮我找一个 qwen 模型");
    const answer = end.assistant!;
    expect(answer.text.startsWith(mid.assistant!.text)).toBe(true);
    expect(answer.text.length).toBeGreaterThan(mid.assistant!.text.length);
    expect(answer.text).toContain(DEMO_LABEL);
    expect(answer.text).toContain("search_models");

    // The tool part: the mock server's models in its output.
    expect(answer.tools).toHaveLength(1);
    expect(answer.tools[0]).toMatchObject({ name: "search_models", state: "output-available" });
    expect(JSON.parse(answer.tools[0].input)).toMatchObject({ query: "qwen" });
    expect(answer.tools[0].output).toContain("Qwen/Qwen2.5-7B-Instruct");

    // Every step once (data-step parts updated in place), each finished; two model rounds.
    expect(answer.steps.map((s) => s.tool)).toEqual(["System", "InputParser", "MCP", "AzureOpenAI", "MCP", "AzureOpenAI"]);
    expect(new Set(answer.steps.map((s) => s.id)).size).toBe(answer.steps.length);
    expect(answer.steps.every((s) => s.status === "Success")).toBe(true);
    expect(answer.steps[4].content).toBe("工具 search_models 调用成功");
    expect(answer.rounds).toBe(2);
    expect(answer.meta).toMatch(/^req_\w+ · \d+ tokens$/);
    expect(answer.id).toBe(answer.meta.split(" ")[0]);

    // One POST, with the key from `headers` and user_id from `body`; nothing to resume (resume is off).
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: "POST", path: "/api/ui/chat", status: 200, authorization: `Bearer ${API_KEY}` });
    expect(JSON.parse(calls[0].body!)).toMatchObject({ user_id: "react_user", trigger: "submit-message", messages: [{ role: "user", parts: [{ type: "text", text: "帮我找一个 qwen 模型" }] }] });

    // A second turn: useChat sends the whole conversation back, the tool part included, and the
    // model gets it as it happened: user, the assistant's tool call, its result, the answer, user.
    await send(tab, "谢谢");
    const second = await viewWhen(tab, `v.status === "ready" && v.messages.length === 4 && v.assistant.meta !== ""`);
    expect(second.error).toBeNull();
    expect(second.assistant!.text).toContain("本地演示上游收到了 5 条消息");
    expect(second.assistant!.text).toContain("你最后说：「谢谢」");
    expect(second.messages[1]).toEqual(answer); // the first answer stays as it was
    expect(calls.map((c) => [c.method, c.status])).toEqual([["POST", 200], ["POST", 200]]);
    const body = JSON.parse(calls[1].body!) as { messages: { role: string; parts: { type: string }[] }[] };
    expect(body.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(body.messages[1].parts.map((p) => p.type)).toEqual(expect.arrayContaining(["data-step", "dynamic-tool", "text", "step-start"]));
    await tab.screenshot({ path: `${SHOTS}/ai-sdk-second-turn.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it("resume: true — a reload mid-run picks the running chat up from its start and it completes; once over, nothing to resume (204)", async () => {
    const chat = `react_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const first = await open({ chat, resume: "1" });
    // On mount, useChat asks for a running chat: none yet.
    await expect.poll(() => first.calls.map((c) => [c.method, c.path, c.status])).toEqual([["GET", `/api/ui/chat/${chat}/stream`, 204]]);
    // The demo upstream quotes the question (up to 500 characters, 1–3 CJK characters a piece,
    // 20 ms apart): a long one keeps the run going for seconds, longer than a reload takes on a
    // busy machine.
    const question = `请详细介绍一下你自己。${"这是一个很长的问题，用来让回答持续几秒钟。".repeat(22)}`.slice(0, 480);
    await send(first.tab, question);
    const mid = await viewWhen(first.tab, `v.status === "streaming" && v.assistant && v.assistant.steps.length > 0`);

    // The reload drops the page's state mid-run; the chat goes on in its Durable Object.
    await first.tab.reload();
    await first.tab.waitForSelector("body[data-ready=true]");
    const resumed = await viewWhen(first.tab, `v.status === "ready" && v.assistant && v.assistant.meta !== ""`);
    await first.tab.screenshot({ path: `${SHOTS}/ai-sdk-resumed.png`, fullPage: true });
    expect(resumed.error).toBeNull();
    const answer = resumed.assistant!;
    // The same run: its message id, the answer from its first word to its last, every step once.
    expect(answer.id).toBe(mid.assistant!.id);
    expect(answer.text.startsWith(mid.assistant!.text)).toBe(true);
    expect(answer.text.length).toBeGreaterThan(mid.assistant!.text.length);
    expect(answer.text).toContain(DEMO_LABEL);
    expect(answer.text).toContain(`你最后说：「${question}」`);
    expect(answer.steps.map((s) => [s.tool, s.status])).toEqual([["System", "Success"], ["InputParser", "Success"], ["MCP", "Success"], ["AzureOpenAI", "Success"]]);
    expect(first.calls.filter((c) => c.method === "GET").map((c) => c.status)).toEqual([204, 200]);
    expect(first.errors).toEqual([]);

    // Reloaded after the end: nothing running, nothing shown, no error.
    await first.tab.reload();
    await first.tab.waitForSelector("body[data-ready=true]");
    await expect.poll(() => first.calls.filter((c) => c.method === "GET").map((c) => c.status)).toEqual([204, 200, 204]);
    const after = await viewWhen(first.tab, `v.status === "ready"`);
    expect(after).toMatchObject({ error: null, messages: [] });
    expect(first.errors).toEqual([]);
  }, 60_000);
  it("persist: each request carries only the last message (prepareSendMessagesRequest); a reload brings every turn back from GET …/messages, and the chat goes on", async () => {
    const chat = `react_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const { tab, errors, calls } = await open({ chat, persist: "1" });
    // Nothing kept yet: a 404, an empty chat.
    await expect.poll(() => calls.map((c) => [c.method, c.path, c.status])).toEqual([["GET", `/api/ui/chat/${chat}/messages`, 404]]);
    await send(tab, "帮我找一个 qwen 模型");
    await viewWhen(tab, `v.status === "ready" && v.messages.length === 2 && v.assistant.meta !== ""`);
    await send(tab, "谢谢");
    const live = await viewWhen(tab, `v.status === "ready" && v.messages.length === 4 && v.assistant.meta !== ""`);
    expect(live.error).toBeNull();
    // The model got the whole conversation from the service: user, the tool call, its result, the answer, user.
    expect(live.assistant!.text).toContain("本地演示上游收到了 5 条消息");
    const posts = calls.filter((c) => c.method === "POST").map((c) => JSON.parse(c.body!) as Record<string, unknown>);
    expect(posts.map((b) => [b.id, b.trigger, b.user_id, "messages" in b])).toEqual([[chat, "submit-message", "react_user", false], [chat, "submit-message", "react_user", false]]);
    expect(posts.map((b) => (b.message as { parts: unknown[] }).parts)).toEqual([[{ type: "text", text: "帮我找一个 qwen 模型" }], [{ type: "text", text: "谢谢" }]]);

    await tab.reload();
    await tab.waitForSelector("body[data-ready=true]");
    const back = await viewWhen(tab, `v.status === "ready" && v.messages.length === 4`);
    await tab.screenshot({ path: `${SHOTS}/ai-sdk-persisted.png`, fullPage: true });
    // Every turn as it was (the model rounds' step-start markers aside: the service keeps the steps).
    const turns = (view: View) => view.messages.map(({ rounds: _rounds, ...m }) => m);
    expect(turns(back)).toEqual(turns(live));
    expect(back.messages[1].tools[0]).toMatchObject({ name: "search_models", state: "output-available" });
    expect(calls.filter((c) => c.method === "GET").map((c) => c.status)).toEqual([404, 200]);

    // And it goes on from there: one message again, the model given all of it.
    await send(tab, "再见");
    const third = await viewWhen(tab, `v.status === "ready" && v.messages.length === 6 && v.assistant.meta !== ""`);
    expect(third.assistant!.text).toContain("本地演示上游收到了 7 条消息");
    expect(JSON.parse(calls.filter((c) => c.method === "POST").at(-1)!.body!).message.parts).toEqual([{ type: "text", text: "再见" }]);
    // The one thing Chromium's console reported: the first load's 404 (nothing kept yet).
    expect(errors).toEqual(["Failed to load resource: the server responded with a status of 404 (Not Found)"]);
  }, 60_000);

  it("approval: a call that waits shows Approve / Deny; approved it runs and the answer follows in the same message; denied with a reason it ends output-denied and the chat goes on", async () => {
    const { tab, errors, calls } = await open();
    await send(tab, "介绍一下 Qwen/Qwen2.5-7B-Instruct 的详情");
    // The response stops at the approval request: the page is ready, the tool part waits with its buttons.
    const waiting = await viewWhen(tab, `v.status === "ready" && v.assistant && v.assistant.tools.some((t) => t.state === "approval-requested")`);
    expect(waiting.assistant!.tools).toHaveLength(1);
    expect(JSON.parse(waiting.assistant!.tools[0].input)).toEqual({ model_id: "Qwen/Qwen2.5-7B-Instruct" });
    expect(waiting.assistant!.steps.find((s) => s.tool === "MCP" && s.status === "Start")!.content).toBe("工具 get_model_info 等待审批");
    await tab.screenshot({ path: `${SHOTS}/ai-sdk-approval-waiting.png`, fullPage: true });
    await tab.click(".approval .approve");
    const approved = await viewWhen(tab, `v.status === "ready" && v.assistant.meta !== "" && v.assistant.tools[0].state === "output-available"`);
    expect(approved.error).toBeNull();
    expect(approved.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(approved.assistant!.id).toBe(waiting.assistant!.id);
    expect(approved.assistant!.tools[0].output).toContain("Qwen/Qwen2.5-7B-Instruct");
    expect(approved.assistant!.text).toContain(DEMO_LABEL);
    expect(approved.assistant!.text).toContain("get_model_info");
    expect(await tab.locator(".approval").count()).toBe(0);
    // Two POSTs: the question, then the answer to the approval (the assistant message, approval-responded).
    expect(calls.map((c) => [c.method, c.status])).toEqual([["POST", 200], ["POST", 200]]);
    const answerBody = JSON.parse(calls[1].body!) as { messages: { role: string; parts: { type: string; state?: string; approval?: unknown }[] }[] };
    expect(answerBody.messages.at(-1)!.parts.find((p) => p.type === "dynamic-tool")).toMatchObject({ state: "approval-responded", approval: { approved: true } });

    await send(tab, "再介绍一下 deepseek-ai/DeepSeek-R1 的详情");
    await viewWhen(tab, `v.status === "ready" && v.messages.length === 4 && v.assistant.tools.some((t) => t.state === "approval-requested")`);
    await tab.fill(".approval .approval-reason", "不需要了");
    await tab.click(".approval .deny");
    const denied = await viewWhen(tab, `v.status === "ready" && v.messages.length === 4 && v.assistant.meta !== "" && v.assistant.tools[0].state === "output-denied"`);
    await tab.screenshot({ path: `${SHOTS}/ai-sdk-approval-denied.png`, fullPage: true });
    expect(denied.error).toBeNull();
    const call = denied.assistant!.steps.find((s) => s.tool === "MCP" && s.status === "Error")!;
    expect(call.content).toContain("不需要了");
    expect(denied.assistant!.text).toContain(DEMO_LABEL);
    expect(errors).toEqual([]);
  }, 60_000);
});
