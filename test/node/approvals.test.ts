/**
 * Several MCP servers and tool approval, end to end through the Worker's deployable bundle (booted by
 * tools/run/worker.ts) with two real `@modelcontextprotocol/server-everything` processes (one over
 * Streamable HTTP, one over legacy HTTP+SSE) and the fake Azure: tools from both, named
 * `{label}__{tool}`, the `server` in every MCP step, one server down, approve, deny with a reason,
 * time out, reconnect while waiting, two calls waiting at once, bad approval requests, and tools
 * that need approval kept from a chat that cannot be approved. Then the ways a person answers:
 * the typed client's `answerApproval`, the CLI (a terminal's question, the curl it prints, the
 * `--approve` flag) and the page's Approve / Deny buttons in Chromium, also after a reload.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { answerApproval, ChatApiError, streamChat, type ChatEvent } from "../../client/src";
import { launchChromium, SCREENSHOTS } from "../../tools/chromium";
import { cliProcess } from "../../tools/cli/cli-process";
import { fakeRequests, newNonce } from "../../tools/fakes/fake-azure-client";
import { readNdjsonTimed } from "../../tools/ndjson";
import { startWorker, type RunningWorker } from "../../tools/run/worker";

type Event = { type: string; seq?: number; [key: string]: unknown };
type StepEvent = Event & { step: { message_id: string; tool_type: string; tool_status: string; parameters: string; observation?: string; present_content: string } };

let dev: RunningWorker;
/**
 * Server two down; and approvals wait the default 5 minutes here (`dev` times them out after
 * 1.5 s), so the typed client, CLI and page tests answer them at their own pace, never racing the timeout.
 */
let downDev: RunningWorker;
const KEY_A = "approvals-key-a-0f3c9e";
const KEY_B = "approvals-key-b-7d21aa";
const echoArgs = encodeURIComponent(JSON.stringify({ message: "hello from the model" }));

function servers(twoUrl: string) {
  return JSON.stringify([
    { label: "one", url: inject("everythingMcpUrl"), approval: ["echo"] },
    { label: "two", url: twoUrl, allow: ["echo", "get-sum"] },
  ]);
}

beforeAll(async () => {
  const common = { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: "approvals-azure-key", API_KEYS: `${KEY_A},${KEY_B}`, UPSTREAM_TIMEOUT_MS: "10000" };
  [dev, downDev] = await Promise.all([
    // Booting takes seconds alone, a minute or more when other suites load the machine.
    startWorker({ bundle: inject("workerBundle"), vars: { ...common, MCP_SERVERS: servers(inject("everythingMcpSseUrl")), APPROVAL_TIMEOUT_MS: "1500", HEARTBEAT_MS: "300" }, timeoutMs: 150_000 }),
    startWorker({ bundle: inject("workerBundle"), vars: { ...common, MCP_SERVERS: servers("http://127.0.0.1:9/mcp") }, timeoutMs: 150_000 }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([dev?.stop(), downDev?.stop()]);
});

function chat(base: string, text: string, extra: Record<string, unknown> = {}, key = KEY_A) {
  return fetch(`${base}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "accept-language": "en" },
    body: JSON.stringify({ user_id: "approver", query: [{ role: "user", content: text }], ...extra }),
  });
}

function answer(chatId: string, approvalId: string, body: unknown, key = KEY_A) {
  return fetch(`${dev.url}/api/chat/${chatId}/approvals/${approvalId}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Reads NDJSON events, calling `onEvent` as each arrives (it may act, e.g. approve); keep-alives left out. */
async function read(res: Response, onEvent: (e: Event) => void | Promise<void> = () => {}, stopWhen?: (e: Event) => boolean): Promise<Event[]> {
  const notPing = (e: Event) => e.type !== "ping";
  const arrivals = await readNdjsonTimed<Event>(res.body!, { onEvent: (e) => (notPing(e) ? onEvent(e) : undefined), stopWhen: (e) => notPing(e) && stopWhen?.(e) === true });
  return arrivals.map((a) => a.event).filter(notPing);
}

const steps = (events: Event[]) => (events.filter((e) => e.type === "step") as StepEvent[]).map((e) => e.step);
const finalSteps = (events: Event[]) => [...new Map(steps(events).map((s) => [s.message_id, s])).values()];
const terminal = (events: Event[]) => events.at(-1)! as Event & { code: number; data: { answer?: string } };
const chatId = () => `apr_${crypto.randomUUID().slice(0, 8)}`;

describe("several MCP servers", () => {
  it("lists both in parallel, one MCP step each naming its server, and offers their tools as {label}__{tool}", async () => {
    const events = await read(await chat(dev.url, "[[fake:tools name=two__get-sum args=%7B%22a%22%3A2%2C%22b%22%3A3%7D]]", { chat_id: chatId() }));
    const listings = finalSteps(events).filter((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).action === "tools/list");
    expect(listings.map((s) => [JSON.parse(s.parameters).server, s.tool_status])).toEqual([["one", "Success"], ["two", "Success"]]);
    expect(listings[0].observation).toContain("one__echo");
    expect(listings[1].observation).toBe("two__echo, two__get-sum");
    const call = finalSteps(events).find((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).tool === "two__get-sum")!;
    expect(JSON.parse(call.parameters)).toMatchObject({ server: "two", server_tool: "get-sum", arguments: { a: 2, b: 3 } });
    expect(call.tool_status).toBe("Success");
    expect(call.observation).toMatch(/5/);
    expect(terminal(events)).toMatchObject({ type: "done" });
  });

  it("goes on with the others when one server is down: an Error step for it, the rest offered", async () => {
    const events = await read(await chat(downDev.url, "[[fake:tools name=one__get-sum args=%7B%22a%22%3A1%2C%22b%22%3A1%7D]]", { chat_id: chatId() }));
    const listings = finalSteps(events).filter((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).action === "tools/list");
    expect(listings.map((s) => [JSON.parse(s.parameters).server, s.tool_status])).toEqual([["one", "Success"], ["two", "Error"]]);
    expect(terminal(events)).toMatchObject({ type: "done" });
  });

  it("answers 503 naming the problem when MCP_SERVERS is malformed, never a crash", async () => {
    const bad = await startWorker({ bundle: inject("workerBundle"), vars: { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: "k-approvals-1", ALLOW_ANONYMOUS: "true", MCP_SERVERS: '[{"label":"Bad Label","url":"http://x"}]' } });
    try {
      const res = await chat(bad.url, "hi", {}, "");
      expect(res.status).toBe(503);
      expect((await res.json()).message).toMatch(/^MCP is misconfigured: MCP_SERVERS\[0\]\.label: /);
    } finally {
      await bad.stop();
    }
  }, 60_000);
});

describe("tool approval", () => {
  it("keeps tools that need approval from a chat without chat_id, and its listing step says so", async () => {
    const events = await read(await chat(dev.url, "hello"));
    const one = finalSteps(events).find((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).server === "one")!;
    expect(one.observation).toMatch(/not offered \(they need approval, which needs a chat_id\): one__echo$/);
    expect(one.present_content).toMatch(/approval needs a chat_id/);
  });

  it("waits for approval with an MCP step and an approval_request event, then runs the approved call", async () => {
    const id = chatId();
    const events = await read(await chat(dev.url, `[[fake:tools name=one__echo args=${echoArgs}]]`, { chat_id: id }), async (e) => {
      if (e.type === "approval_request") expect((await answer(id, e.approval_id as string, { approve: true })).status).toBe(200);
    });
    const request = events.find((e) => e.type === "approval_request")!;
    expect(request).toMatchObject({ server: "one", tool: "echo", arguments: { message: "hello from the model" }, approval_id: expect.stringMatching(/^apr_/) });
    const waiting = steps(events).find((s) => s.tool_type === "MCP" && s.tool_status === "Start" && JSON.parse(s.parameters).tool === "one__echo")!;
    expect(waiting.present_content).toBe("Tool one__echo is waiting for approval");
    expect(JSON.parse(waiting.parameters)).toMatchObject({ server: "one", approval: "pending" });
    const call = finalSteps(events).find((s) => s.message_id === waiting.message_id)!;
    expect(call).toMatchObject({ tool_status: "Success", observation: "Echo: hello from the model" });
    expect(terminal(events)).toMatchObject({ type: "done" });
    // Answered already: 404.
    expect((await answer(id, request.approval_id as string, { approve: true })).status).toBe(404);
  });

  it("denies with a reason: the step ends Error with it, the model is told the user declined, and the chat goes on", async () => {
    const id = chatId();
    const nonce = newNonce();
    const events = await read(await chat(dev.url, `[[fake:tools name=one__echo args=${echoArgs}]] ${nonce}`, { chat_id: id }), async (e) => {
      if (e.type === "approval_request") await answer(id, e.approval_id as string, { approve: false, reason: "not now" });
    });
    const call = finalSteps(events).find((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).tool === "one__echo")!;
    expect(call).toMatchObject({ tool_status: "Error", observation: "Not approved: not now", present_content: "Tool one__echo was not approved: not now" });
    expect(terminal(events)).toMatchObject({ type: "done" });
    const [, round2] = await fakeRequests(inject("fakeAzureUrl"), nonce);
    expect(JSON.stringify(round2.body)).toContain("The user declined this tool call (not now)");
  });

  it("counts an unanswered call as denied after APPROVAL_TIMEOUT_MS", async () => {
    const events = await read(await chat(dev.url, `[[fake:tools name=one__echo args=${echoArgs}]]`, { chat_id: chatId() }));
    const call = finalSteps(events).find((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).tool === "one__echo")!;
    expect(call).toMatchObject({ tool_status: "Error", observation: "Not approved: no answer in time" });
    expect(terminal(events)).toMatchObject({ type: "done" });
  });

  it("lets a client that disconnected while a call waits resume and still answer it", async () => {
    const id = chatId();
    const first = await read(await chat(dev.url, `[[fake:tools name=one__echo args=${echoArgs}]]`, { chat_id: id }), () => {}, (e) => e.type === "approval_request");
    const request = first.at(-1)!;
    const resumed = fetch(`${dev.url}/api/chat/${id}/stream?after=${request.seq}`, { headers: { authorization: `Bearer ${KEY_A}` } });
    expect((await answer(id, request.approval_id as string, { approve: true })).status).toBe(200);
    const rest = await read(await resumed);
    expect(rest[0].seq).toBe((request.seq as number) + 1);
    expect(terminal(rest)).toMatchObject({ type: "done" });
    expect(finalSteps([...first, ...rest]).find((s) => JSON.parse(s.parameters).tool === "one__echo")).toMatchObject({ tool_status: "Success" });
  });

  it("lets two calls of one round wait independently: one approved, one denied", async () => {
    const id = chatId();
    let answered = 0;
    const events = await read(await chat(dev.url, `[[fake:tools n=2 name=one__echo args=${echoArgs}]]`, { chat_id: id }), async (e) => {
      if (e.type !== "approval_request") return;
      await answer(id, e.approval_id as string, answered++ === 0 ? { approve: true } : { approve: false, reason: "only one" });
    });
    expect(events.filter((e) => e.type === "approval_request")).toHaveLength(2);
    const calls = finalSteps(events).filter((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).tool === "one__echo");
    expect(calls.map((s) => s.tool_status).sort()).toEqual(["Error", "Success"]);
    expect(terminal(events)).toMatchObject({ type: "done" });
  });

  it("refuses bad approval requests: 400 for a malformed body, 404 for an unknown id or another key", async () => {
    const id = chatId();
    let checked = false;
    await read(await chat(dev.url, `[[fake:tools name=one__echo args=${echoArgs}]]`, { chat_id: id }), async (e) => {
      if (e.type !== "approval_request") return;
      const approvalId = e.approval_id as string;
      const malformed = await answer(id, approvalId, { approve: "yes" });
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).message).toMatch(/^approve: /);
      expect((await answer(id, approvalId, "not json")).status).toBe(400);
      expect((await answer(id, approvalId, { approve: true, extra: 1 })).status).toBe(400);
      expect((await answer(id, "apr_000000000000", { approve: true })).status).toBe(404);
      expect((await answer(id, approvalId, { approve: true }, KEY_B)).status).toBe(404);
      expect((await answer(id, approvalId, { approve: true })).status).toBe(200);
      checked = true;
    });
    expect(checked).toBe(true);
  });
});

const echoCall = `[[fake:tools name=one__echo args=${echoArgs}]]`;

describe("answering with the typed client", () => {
  it("answerApproval approves a call while the stream waits; another key's answer and a second one throw ChatApiError 404", async () => {
    const id = chatId();
    const events: ChatEvent[] = [];
    const answered: string[] = [];
    const request = { user_id: "approver", chat_id: id, query: [{ role: "user" as const, content: echoCall }] };
    for await (const e of streamChat(request, { baseUrl: downDev.url, apiKey: KEY_A, lang: "en" })) {
      events.push(e);
      if (e.type !== "approval_request") continue;
      expect(e).toMatchObject({ server: "one", tool: "echo", arguments: { message: "hello from the model" } });
      const otherKey = await answerApproval(id, e.approval_id, { approve: true }, { baseUrl: downDev.url, apiKey: KEY_B }).catch((error: unknown) => error);
      expect(otherKey).toBeInstanceOf(ChatApiError);
      expect(otherKey).toMatchObject({ status: 404, code: 404 });
      answered.push((await answerApproval(id, e.approval_id, { approve: true }, { baseUrl: downDev.url, apiKey: KEY_A })).message);
      const again = await answerApproval(id, e.approval_id, { approve: false, reason: "too late" }, { baseUrl: downDev.url, apiKey: KEY_A }).catch((error: unknown) => error);
      expect(again).toBeInstanceOf(ChatApiError);
      expect(again).toMatchObject({ status: 404, message: "No tool call of this chat waits for that approval (unknown, or already answered)" });
    }
    expect(answered).toEqual(["Approved"]);
    const call = finalSteps(events as unknown as Event[]).find((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).tool === "one__echo")!;
    expect(call).toMatchObject({ tool_status: "Success", observation: "Echo: hello from the model" });
    expect(events.at(-1)).toMatchObject({ type: "done" });
  }, 60_000);
});

describe("answering with the CLI (npm run chat)", () => {
  it("asks on a terminal; without one prints the curl that answers (left waiting); --approve none denies each; a misused --approve is refused", async () => {
    const run = (id: string, ...extra: string[]) => [echoCall, "--chat", id, "--url", downDev.url, "--key", KEY_A, "--lang", "en", ...extra];
    const [askedId, printedId, noneId] = [chatId(), chatId(), chatId()];
    // Three at once: each waits on its own chat.
    const asked = cliProcess(inject("cliBundle"), run(askedId), { tty: true });
    const printed = cliProcess(inject("cliBundle"), run(printedId));
    const none = cliProcess(inject("cliBundle"), run(noneId, "--approve", "none"));
    const misused = [cliProcess(inject("cliBundle"), ["hi", "--approve", "all", "--url", downDev.url]), cliProcess(inject("cliBundle"), ["hi", "--chat", "c1", "--approve", "some", "--url", downDev.url])];

    await asked.printed('Approve one/echo {"message":"hello from the model"}? [y/N/reason] ', 90_000);
    asked.write("y\n");

    await printed.printed("    to deny: the same with -d '{\"approve\": false, \"reason\": \"…\"}'", 90_000);
    const curl = /^ {4}waiting; to approve: (curl -X POST .*)$/m.exec(printed.stdout())![1];
    expect(curl).toMatch(new RegExp(`^curl -X POST ${downDev.url}/api/chat/${printedId}/approvals/apr_[0-9a-f]{12} -H 'Content-Type: application/json' -H "Authorization: Bearer \\$CHATAPI_KEY" -d '\\{"approve": true\\}'$`));
    // The printed command, as a person would run it, with the denial's body instead.
    const denial = curl.replace(`-d '{"approve": true}'`, `-d '{"approve": false, "reason": "from curl"}'`);
    const { stdout: answer } = await promisify(execFile)("sh", ["-c", denial], { env: { ...process.env, CHATAPI_KEY: KEY_A } });
    expect(JSON.parse(answer)).toMatchObject({ code: 200, message: "Denied" });

    const [a, p, n] = await Promise.all([asked.done, printed.done, none.done]);
    expect(a.code, a.stdout).toBe(0);
    expect(a.stdout).toMatch(/^⏸ one\/echo waits for approval \(apr_[0-9a-f]{12}\)\r?$/m);
    expect(a.stdout).toMatch(/^ {4}approved\r?$/m);
    expect(a.stdout).toMatch(/^✔ Success MCP {9}Tool one__echo succeeded/m);
    expect(a.stdout).toContain("tool result: Echo: hello from the model");

    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stderr).toBe("");
    expect(p.stdout).toMatch(/^✘ Error {3}MCP {9}Tool one__echo was not approved: from curl \(\d+ ms\)$/m);
    expect(p.stdout).toContain("tool result: Error: The user declined this tool call (from curl)");

    expect(n.code, n.stdout + n.stderr).toBe(0);
    expect(n.stdout).not.toContain("curl");
    expect(n.stdout).toMatch(/^ {4}denied: denied with --approve none$/m);
    expect(n.stdout).toMatch(/^✘ Error {3}MCP {9}Tool one__echo was not approved: denied with --approve none \(\d+ ms\)$/m);

    // Refused before sending (exit 2): --approve without a chat that can wait, or another value.
    const [withoutChat, otherValue] = await Promise.all(misused.map((m) => m.done));
    expect(withoutChat.code).toBe(2);
    expect(withoutChat.stderr).toMatch(/^--approve answers tool calls that wait for approval, which only a streamed chat with --chat ID has\nusage:/);
    expect(otherValue.code).toBe(2);
    expect(otherValue.stderr).toMatch(/^--approve must be all or none, not some\nusage:/);
  }, 180_000);
});

describe("answering on the page (Chromium)", () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  /**
   * Every page of these tests, in one browser context: a second context would start a second
   * renderer process (seconds of CPU on two cores); the two Workers' pages are two origins, each
   * with its own storage. Key A is in the settings, and every `.approval` a page ever adds is
   * counted (window.__approvalsShown).
   */
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    // Generous: other suites share the machine's two cores, and a page load can take tens of seconds then.
    context.setDefaultTimeout(60_000);
    context.setDefaultNavigationTimeout(90_000);
    await context.addInitScript((key) => {
      if (!localStorage.getItem("chatapi.apiKey")) localStorage.setItem("chatapi.apiKey", key);
      const w = window as unknown as { __approvalsShown: number };
      w.__approvalsShown = 0;
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) if ((n as Element).classList?.contains("approval")) w.__approvalsShown++;
      }).observe(document, { childList: true, subtree: true });
    }, KEY_A);
    page = await openPage(downDev.url);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** A page of that context on `base`, once it is ready. */
  async function openPage(base: string): Promise<Page> {
    const opened = await context.newPage();
    opened.on("pageerror", (e) => errors.push(String(e)));
    await opened.goto(`${base}/`);
    await opened.waitForSelector("body[data-ready=true]");
    return opened;
  }

  async function send(p: Page, text: string) {
    await p.fill("#message", text);
    await p.press("#message", "Enter");
  }

  /** The timeline entry of the last exchange's one__echo call. */
  const call = (p: Page) => p.locator(".turn").last().locator(".step", { has: p.locator(".step-content", { hasText: "one__echo" }) });

  /**
   * Waits for the last exchange to end; its state (done, error, stopped). Any state but done comes
   * with what the exchange showed and the Workers' last log lines, so a failure says why.
   */
  async function ended(p: Page): Promise<string> {
    const handle = await p.waitForFunction(() => {
      const state = document.querySelector("#log > .turn:last-child")?.getAttribute("data-state");
      return state && !["waiting", "streaming"].includes(state) ? state : null;
    }, undefined, { timeout: 60_000 });
    const state = (await handle.jsonValue()) as string;
    if (state === "done") return state;
    const shown = await p.locator("#log > .turn:last-child").innerText();
    return `${state}\nthe exchange showed:\n${shown}\nthe Workers said:\n${dev.output().slice(-2000)}\n${downDev.output().slice(-1000)}`;
  }

  it("shows Approve / Deny in the waiting call's entry; Approve runs it: the step ends Success with the echo", async () => {
    await send(page, echoCall);
    const group = page.getByRole("group", { name: "是否批准调用工具 one/echo？" });
    await group.waitFor({ timeout: 60_000 });
    expect(await call(page).getAttribute("data-status")).toBe("Start");
    expect(await call(page).getAttribute("data-approval")).toBe("pending");
    expect(await call(page).locator(".step-content").textContent()).toBe("工具 one__echo 等待审批");
    expect(await group.getByRole("textbox", { name: "理由（可选）" }).count()).toBe(1);
    expect(await group.getByRole("button", { name: "拒绝" }).count()).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}/approval-waiting.png` });

    await group.getByRole("button", { name: "批准" }).click();
    // The buttons go once the answer is taken: the keyboard goes to the decision, read out.
    await page.waitForFunction(() => document.activeElement?.classList.contains("approval-note"));
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("已批准");
    expect(await ended(page)).toBe("done");
    expect(await call(page).getAttribute("data-status")).toBe("Success");
    expect(await call(page).locator(".step-content").textContent()).toBe("工具 one__echo 调用成功");
    expect(await call(page).locator(".step-detail pre").last().textContent()).toBe("Echo: hello from the model");
    expect(await call(page).getByRole("button").count()).toBe(0);
    expect(await call(page).locator(".approval-note").textContent()).toBe("已批准");
    expect(await page.locator(".turn .answer").last().textContent()).toContain("tool result: Echo: hello from the model");
    expect(errors).toEqual([]);
  }, 180_000);

  it("in a new chat, in English, on a phone's width: a reason typed, Deny: the step ends Error with it (shown as declined, not failed), and the answer goes on", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click("#new-chat");
    await page.click("button[data-lang=en]");
    await send(page, echoCall);
    const group = page.getByRole("group", { name: "Allow the call to one/echo?" });
    await group.getByRole("textbox", { name: "Reason (optional)" }).fill("not this one");
    // Approve and Deny side by side, within the screen: both boxes read in one layout (the steps
    // above may still grow while the run waits, moving the group between two separate reads).
    const [approveBox, denyBox] = await group.evaluate((el) =>
      ["Approve", "Deny"].map((name) => {
        const button = [...el.querySelectorAll("button")].find((b) => b.textContent?.trim() === name)!;
        const { x, y, width } = button.getBoundingClientRect();
        return { x, y, width };
      }),
    );
    expect(denyBox.y).toBe(approveBox.y);
    expect(denyBox.x + denyBox.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SCREENSHOTS}/approval-phone.png` });
    await group.getByRole("button", { name: "Deny" }).click();
    expect(await ended(page)).toBe("done");
    await page.setViewportSize({ width: 1000, height: 800 });
    expect(await page.locator(".turn").count()).toBe(1);
    // On the wire the step ended Error with the reason; the page shows a decline, not a failure.
    expect(await call(page).getAttribute("data-status")).toBe("Declined");
    expect(await call(page).locator(".step-status").textContent()).toBe("Declined");
    expect(await call(page).locator(".step-detail pre").last().textContent()).toBe("Not approved: not this one");
    expect(await call(page).getAttribute("data-approval")).toBe("denied");
    expect(await call(page).locator(".step-content").textContent()).toBe("Tool one__echo was not approved: not this one");
    expect(await call(page).getByRole("button").count()).toBe(0);
    expect(await call(page).locator(".approval-note").textContent()).toBe("Denied: not this one");
    expect(await page.locator(".turn .answer").last().textContent()).toContain("tool result: Error: The user declined this tool call (not this one)");
    await page.screenshot({ path: `${SCREENSHOTS}/approval-denied.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 180_000);

  it("after a reload, a call still waiting shows its buttons again; once answered, a reload shows the decision, no buttons", async () => {
    await page.click("#new-chat");
    await send(page, echoCall);
    await page.getByRole("group", { name: "Allow the call to one/echo?" }).waitFor({ timeout: 60_000 });
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    // The run replayed from its start: the same call, still waiting, its buttons back.
    const group = page.getByRole("group", { name: "Allow the call to one/echo?" });
    await group.getByRole("button", { name: "Approve" }).click();
    expect(await ended(page)).toBe("done");
    expect(await call(page).getAttribute("data-status")).toBe("Success");

    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.locator(".turn").count()).toBe(1);
    expect(await call(page).getAttribute("data-status")).toBe("Success");
    expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);
    expect(await call(page).locator(".approval-note").textContent()).toBe("Approved");
    expect(errors).toEqual([]);
  }, 180_000);

  it("takes the buttons away when the call stops waiting unanswered (APPROVAL_TIMEOUT_MS)", async () => {
    const timed = await openPage(dev.url);
    try {
      await send(timed, echoCall);
      expect(await ended(timed)).toBe("done");
      expect(await timed.evaluate(() => (window as unknown as { __approvalsShown: number }).__approvalsShown)).toBe(1);
      expect(await call(timed).getAttribute("data-status")).toBe("Declined");
      expect(await call(timed).locator(".step-status").textContent()).toBe("未获批准");
      expect(await call(timed).locator(".step-content").textContent()).toBe("工具 one__echo 未获批准：审批超时");
      expect(await call(timed).locator(".approval").count()).toBe(0);
      expect(await timed.getByRole("button", { name: "批准" }).count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await timed.close();
    }
  }, 180_000);
});
