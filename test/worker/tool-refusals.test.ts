/**
 * Only what was offered runs: a call to a tool held back for approval, past the limit of one
 * request, or with no tool configured at all is refused as unknown (an Error step, the model is
 * told and answers); offered names are unique across servers and route to the server they came
 * from. The MCP servers are real HTTP servers (server-everything, the hostile test server, which
 * says in each result which server ran the call); the fake Azure scripts the model's calls.
 */
import { describe, expect, inject, it } from "vitest";
import type { Step } from "../../src/schema/events";
import { fakeRequests, newNonce, scriptFake, type ScriptedResponse } from "../../tools/fakes/fake-azure-client";
import { fakeUrl, ndjson, post, terminal } from "./helpers";

const hostile = (path: string) => new URL(path, inject("hostileMcpUrl")).href;

async function chat(script: ScriptedResponse[], env: Partial<Env>, extra: Record<string, unknown> = {}) {
  const nonce = newNonce();
  await scriptFake(fakeUrl(), nonce, script);
  const events = await ndjson(await post({ user_id: "refusal_user", query: [{ role: "user", content: `go ${nonce}` }], ...extra }, { env }));
  const sent = (await fakeRequests(fakeUrl(), nonce)).map((r) => JSON.parse(r.body));
  return { events, done: terminal(events), sent };
}

const toolCallSteps = (steps: Step[]) => steps.filter((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).tool);
const toolMessages = (body: { messages: { role: string; content: string }[] }) => body.messages.filter((m) => m.role === "tool");
const offeredNames = (body: { tools?: { function: { name: string } }[] }) => (body.tools ?? []).map((t) => t.function.name);

describe("a tool call the model was not offered", () => {
  it("is refused when the tool needs approval and the chat has no chat_id: it never runs, no approval is asked", async () => {
    const marker = `must-not-run-${newNonce()}`;
    const { events, done, sent } = await chat(
      [{ toolCalls: [{ id: "call_held", name: "echo", arguments: JSON.stringify({ message: marker }) }] }, { text: "I could not use it." }],
      { MCP_SERVERS: JSON.stringify([{ label: "files", url: inject("everythingMcpUrl"), approval: ["echo"] }]) },
    );
    expect(offeredNames(sent[0])).not.toContain("echo");
    expect(events.some((e) => e.type === "approval_request")).toBe(false);
    const [call] = toolCallSteps(done.data.steps);
    expect(call).toMatchObject({ tool_status: "Error" });
    expect(call.observation).toMatch(/^Unknown tool "echo"\. Available tools: /);
    // The model is told, and goes on; the server's echo never produced its result.
    expect(sent).toHaveLength(2);
    const [reply] = toolMessages(sent[1]);
    expect(reply.content).toMatch(/Unknown tool "echo"/);
    expect(JSON.stringify(sent[1])).not.toMatch(/Echo: /);
    expect(done).toMatchObject({ type: "done", data: { answer: "I could not use it." } });
  });

  it("is refused when no MCP server is configured, and the chat goes on to an answer instead of ending empty", async () => {
    // A streamed call to a tool the model invents (as a real gpt-4.1 did, calling `Bash`).
    const { done, sent } = await chat(
      [{ toolCalls: [{ id: "call_bash", name: "Bash", arguments: '{"command":"ls -la /","description":"List root"}' }] }, { text: "I have no shell here." }],
      {},
    );
    expect(sent[0].tools).toBeUndefined();
    const [call] = toolCallSteps(done.data.steps);
    expect(call).toMatchObject({ tool_status: "Error" });
    expect(JSON.parse(call.parameters)).toEqual({ tool: "Bash", arguments: { command: "ls -la /", description: "List root" } });
    expect(call.observation).toBe('Unknown tool "Bash". Available tools: none.');
    expect(sent).toHaveLength(2);
    expect(sent[1].messages.slice(-2)).toMatchObject([
      { role: "assistant", tool_calls: [{ id: "call_bash", function: { name: "Bash", arguments: '{"command":"ls -la /","description":"List root"}' } }] },
      { role: "tool", tool_call_id: "call_bash", content: expect.stringMatching(/Unknown tool "Bash"/) },
    ]);
    expect(done).toMatchObject({ type: "done", data: { answer: "I have no shell here." } });
  });

  it("is refused past the limit of 128 tools, which the listing step reports and the request leaves out", async () => {
    const { done, sent } = await chat(
      [{ toolCalls: [{ id: "call_over", name: "t200", arguments: "{}" }] }, { text: "ok" }],
      { MCP_SERVER_URL: hostile("/many/mcp?count=300") },
    );
    const listing = done.data.steps.find((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).action === "tools/list")!;
    expect(listing.observation).toMatch(/not offered \(over the limit of 128 tools in one request\): 172 more$/);
    expect(listing.present_content).toMatch(/172/);
    expect(offeredNames(sent[0])).toEqual(Array.from({ length: 128 }, (_, i) => `t${i}`));
    const [call] = toolCallSteps(done.data.steps);
    expect(call.tool_status).toBe("Error");
    expect(JSON.stringify(sent[1])).not.toMatch(/ran t200/);
  });
});

describe("tool names across several servers", () => {
  const servers = (approvalOfSecond: unknown) =>
    JSON.stringify([
      { label: "a", url: hostile("/names/mcp?tools=b__c") },
      { label: "a__b", url: hostile("/names/mcp?tools=c&server=second"), approval: approvalOfSecond },
    ]);

  it("are unique where labels and tool names with __ would spell the same name, and each routes to its own server", async () => {
    const first = await chat([{ toolCalls: [{ id: "call_1", name: "a__b__c", arguments: "{}" }] }, { text: "ok" }], { MCP_SERVERS: servers("never") });
    const names = offeredNames(first.sent[0]);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
    const [step] = toolCallSteps(first.done.data.steps);
    expect(JSON.parse(step.parameters)).toMatchObject({ tool: "a__b__c", server: "a", server_tool: "b__c" });
    expect(step.observation).toBe("ran b__c on /names/mcp?tools=b__c");

    const other = names.find((n) => n !== "a__b__c")!;
    const second = await chat([{ toolCalls: [{ id: "call_2", name: other, arguments: "{}" }] }, { text: "ok" }], { MCP_SERVERS: servers("never") });
    const [step2] = toolCallSteps(second.done.data.steps);
    expect(JSON.parse(step2.parameters)).toMatchObject({ tool: other, server: "a__b", server_tool: "c" });
    expect(step2.observation).toBe("ran c on /names/mcp?tools=c&server=second");
  });

  it("never reach a server whose tools need approval through another server's name", async () => {
    const { done, sent, events } = await chat([{ toolCalls: [{ id: "call_3", name: "a__b__c", arguments: "{}" }] }, { text: "ok" }], { MCP_SERVERS: servers("always") });
    expect(offeredNames(sent[0])).toEqual(["a__b__c"]);
    const [step] = toolCallSteps(done.data.steps);
    expect(JSON.parse(step.parameters)).toMatchObject({ server: "a", server_tool: "b__c" });
    expect(step.observation).toBe("ran b__c on /names/mcp?tools=b__c");
    expect(events.some((e) => e.type === "approval_request")).toBe(false);
    expect(JSON.stringify(sent[1])).not.toMatch(/server=second/);
  });
});
