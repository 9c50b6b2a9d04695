/**
 * Several MCP servers and tool approval, end to end through `wrangler dev` (booted by
 * tools/worker.ts) with two real `@modelcontextprotocol/server-everything` processes (one over
 * Streamable HTTP, one over legacy HTTP+SSE) and the fake Azure: tools from both, named
 * `{label}__{tool}`, the `server` in every MCP step, one server down, approve, deny with a reason,
 * time out, reconnect while waiting, two calls waiting at once, bad approval requests, and tools
 * that need approval kept from a chat that cannot be approved.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fakeRequests, newNonce } from "../../tools/fake-azure-client";
import { startWorker, type RunningWorker } from "../../tools/worker";

type Event = { type: string; seq?: number; [key: string]: unknown };
type StepEvent = Event & { step: { message_id: string; tool_type: string; tool_status: string; parameters: string; observation?: string; present_content: string } };

let dev: RunningWorker;
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
    startWorker({ vars: { ...common, MCP_SERVERS: servers(inject("everythingMcpSseUrl")), APPROVAL_TIMEOUT_MS: "1500", HEARTBEAT_MS: "300" } }),
    startWorker({ vars: { ...common, MCP_SERVERS: servers("http://127.0.0.1:9/mcp") } }),
  ]);
}, 120_000);

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

/** Reads NDJSON events, calling `onEvent` as each arrives (it may act, e.g. approve). */
async function read(res: Response, onEvent: (e: Event) => void | Promise<void> = () => {}, stopWhen?: (e: Event) => boolean): Promise<Event[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: Event[] = [];
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const event = JSON.parse(line) as Event;
      if (event.type === "ping") continue;
      events.push(event);
      await onEvent(event);
      if (stopWhen?.(event)) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
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
    const bad = await startWorker({ vars: { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: "k-approvals-1", ALLOW_ANONYMOUS: "true", MCP_SERVERS: '[{"label":"Bad Label","url":"http://x"}]' } });
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
