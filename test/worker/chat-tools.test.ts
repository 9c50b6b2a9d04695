/**
 * The chat loop with tools on real MCP servers: @modelcontextprotocol/server-everything (npm) and
 * the ModelScope mock, the fake Azure scripting the model's tool calls over HTTP.
 */
import { describe, expect, inject, it } from "vitest";
import { fakeRequests, newNonce, scriptFake, type ScriptedResponse } from "../../tools/fakes/fake-azure-client";
import type { ChatEvent, Step } from "../../src/schema/events";
import { deltas, fakeUrl, ndjson, post, terminal } from "./helpers";

async function chatWithTools(script: ScriptedResponse[], env: Partial<Env> = {}, text = "use the tools") {
  const nonce = newNonce();
  await scriptFake(fakeUrl(), nonce, script);
  const events = await ndjson(
    await post({ user_id: "tool_user", query: [{ role: "user", content: `${text} ${nonce}` }] }, { env: { MCP_SERVER_URL: inject("everythingMcpUrl"), ...env } }),
  );
  const sent = (await fakeRequests(fakeUrl(), nonce)).map((r) => JSON.parse(r.body));
  return { events, done: terminal(events), sent };
}

const finalSteps = (events: ChatEvent[]): Step[] => terminal(events).data.steps;
const mcpCalls = (steps: Step[]) => steps.filter((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).tool);

describe("tools in the chat loop", () => {
  it("runs one tool call, sends the result back with its tool_call_id, and streams every step", async () => {
    const { events, done, sent } = await chatWithTools([
      { toolCalls: [{ id: "call_echo_1", name: "echo", arguments: '{"message":"你好 MCP"}' }] },
      { text: "The server echoed it." },
    ]);
    expect(done).toMatchObject({ type: "done", code: 200 });
    expect(done.data.answer).toBe("The server echoed it.");
    expect(deltas(events)).toBe(done.data.answer);
    expect(done.data.steps.map((s) => [s.tool_type, s.tool_status])).toEqual([
      ["System", "Success"],
      ["InputParser", "Success"],
      ["MCP", "Success"], // tools/list
      ["AzureOpenAI", "Success"],
      ["MCP", "Success"], // echo
      ["AzureOpenAI", "Success"],
    ]);
    const [call] = mcpCalls(done.data.steps);
    expect(JSON.parse(call.parameters)).toEqual({ tool: "echo", server: "mcp", arguments: { message: "你好 MCP" } });
    expect(call.observation).toContain("你好 MCP");
    expect(Number.isInteger(call.execution_duration)).toBe(true);
    // Announced at its start, then at its end, with the same id.
    const announcements = events.filter((e) => e.type === "step" && e.step.message_id === call.message_id);
    expect(announcements.map((e) => e.type === "step" && e.step.tool_status)).toEqual(["Start", "Success"]);

    // Round 1 offers the server's tools as functions, schemas passed through.
    expect(sent).toHaveLength(2);
    const echo = sent[0].tools.find((t: { function: { name: string } }) => t.function.name === "echo");
    expect(echo).toMatchObject({ type: "function", function: { name: "echo", parameters: { type: "object", properties: { message: { type: "string" } } } } });
    expect(sent[0].tool_choice).toBe("auto");
    // Round 2 carries the assistant's call and the tool's answer with the same id.
    const [assistant, tool] = sent[1].messages.slice(-2);
    expect(assistant).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_echo_1", type: "function", function: { name: "echo", arguments: '{"message":"你好 MCP"}' } }] });
    expect(tool).toMatchObject({ role: "tool", tool_call_id: "call_echo_1" });
    expect(tool.content).toContain("你好 MCP");
  });

  it("runs parallel calls of one round side by side and answers each by id", async () => {
    const { done, sent } = await chatWithTools([
      {
        toolCalls: [
          { id: "call_a", name: "get-sum", arguments: '{"a":2,"b":3}' },
          { id: "call_b", name: "echo", arguments: '{"message":"second"}' },
        ],
      },
      { text: "Both done." },
    ]);
    expect(done.type).toBe("done");
    const calls = mcpCalls(done.data.steps);
    expect(calls.map((s) => [JSON.parse(s.parameters).tool, s.tool_status])).toEqual([
      ["get-sum", "Success"],
      ["echo", "Success"],
    ]);
    expect(calls[0].observation).toMatch(/\b5\b/);
    const toolMessages = sent[1].messages.filter((m: { role: string }) => m.role === "tool");
    expect(toolMessages.map((m: { tool_call_id: string }) => m.tool_call_id)).toEqual(["call_a", "call_b"]);
  });

  it.each([
    ["an unknown tool", { name: "no_such_tool", arguments: "{}" }, /no_such_tool/],
    ["malformed argument JSON", { name: "echo", arguments: '{"message": "unterminated' }, /JSON/i],
    [
      "invalid arguments",
      { name: "get-sum", arguments: '{"a":"two"}' },
      /^MCP error -32602: Input validation error: Invalid arguments for tool get-sum: Invalid input: expected number, received string at a\nInvalid input: expected number, received undefined at b$/,
    ],
  ])("turns %s into an Error step the model reads, and the chat goes on to done", async (_, toolCall, message) => {
    const { done, sent } = await chatWithTools([{ toolCalls: [{ id: "call_x", ...toolCall }] }, { text: "Recovered." }]);
    expect(done).toMatchObject({ type: "done", data: { answer: "Recovered." } });
    const [call] = mcpCalls(done.data.steps);
    expect(call.tool_status).toBe("Error");
    expect(call.observation).toMatch(message);
    const tool = sent[1].messages.at(-1);
    expect(tool).toMatchObject({ role: "tool", tool_call_id: "call_x" });
    expect(tool.content).toMatch(/^Error: /);
  });

  it("describes an image result instead of passing its bytes", async () => {
    const { done, sent } = await chatWithTools([{ toolCalls: [{ id: "call_img", name: "get-tiny-image", arguments: "{}" }] }, { text: "A tiny image." }]);
    const [call] = mcpCalls(done.data.steps);
    expect(call.tool_status).toBe("Success");
    expect(call.observation).toMatch(/image\/png/);
    expect(sent[1].messages.at(-1).content).not.toMatch(/iVBORw0KGgo/);
  });

  it("stops an endless tool loop at MAX_TOOL_ROUNDS and ends cleanly", async () => {
    const loop = Array.from({ length: 10 }, (_, i) => ({ toolCalls: [{ id: `call_${i}`, name: "echo", arguments: `{"message":"again ${i}"}` }] }));
    const { done, sent } = await chatWithTools([...loop.slice(0, 2), { text: "Out of rounds, here is my answer." }], { MAX_TOOL_ROUNDS: "3" });
    expect(done).toMatchObject({ type: "done", data: { answer: "Out of rounds, here is my answer." } });
    expect(done.data.steps.filter((s) => s.tool_type === "AzureOpenAI")).toHaveLength(3);
    expect(mcpCalls(done.data.steps)).toHaveLength(2);
    expect(sent).toHaveLength(3);
    expect(sent.map((s) => s.tool_choice)).toEqual(["auto", "auto", "none"]);
  });

  it("ignores tool calls on the last round instead of looping", async () => {
    const loop = Array.from({ length: 5 }, (_, i) => ({ toolCalls: [{ id: `call_${i}`, name: "echo", arguments: "{}" }] }));
    const { done, sent } = await chatWithTools(loop, { MAX_TOOL_ROUNDS: "2" });
    expect(done.type).toBe("done");
    expect(sent).toHaveLength(2);
    expect(mcpCalls(done.data.steps)).toHaveLength(1);
  });

  it("works over the legacy HTTP+SSE transport", async () => {
    const { done } = await chatWithTools(
      [{ toolCalls: [{ id: "call_sse", name: "echo", arguments: '{"message":"via sse"}' }] }, { text: "ok" }],
      { MCP_SERVER_URL: inject("everythingMcpSseUrl") },
    );
    expect(mcpCalls(done.data.steps)[0]).toMatchObject({ tool_status: "Success", observation: expect.stringContaining("via sse") });
  });

  it("offers only the allowlisted tools", async () => {
    const { sent } = await chatWithTools([{ text: "no tools needed" }], { MCP_TOOL_ALLOWLIST: "echo,get-sum", MCP_TOOLS_CACHE_TTL_MS: "0" });
    expect(sent[0].tools.map((t: { function: { name: string } }) => t.function.name).sort()).toEqual(["echo", "get-sum"]);
  });

  it("goes on without tools when the MCP server is down: an Error step, then done", async () => {
    const { done, sent } = await chatWithTools([{ text: "no tools today" }], { MCP_SERVER_URL: "http://127.0.0.1:9/mcp" });
    expect(done).toMatchObject({ type: "done", data: { answer: "no tools today" } });
    const list = done.data.steps.find((s) => s.tool_type === "MCP")!;
    expect(list.tool_status).toBe("Error");
    expect(sent[0].tools).toBeUndefined();
  });

  it("remembers a failed listing for a few seconds, so the next chat does not wait on the dead server again", async () => {
    const env = { MCP_SERVER_URL: "http://127.0.0.1:9/remembered-mcp" };
    const first = await chatWithTools([{ text: "first" }], env);
    const second = await chatWithTools([{ text: "second" }], env);
    const listing = (done: typeof first.done) => done.data.steps.find((s) => s.tool_type === "MCP")!;
    expect(listing(first.done)).toMatchObject({ tool_status: "Error", observation: expect.not.stringContaining("moments ago") });
    expect(listing(second.done)).toMatchObject({ tool_status: "Error", observation: expect.stringContaining("failed moments ago") });
    expect(second.done).toMatchObject({ type: "done", data: { answer: "second" } });
  });

  it("calls the ModelScope mock's search_models", async () => {
    const { done } = await chatWithTools(
      [{ toolCalls: [{ id: "call_ms", name: "search_models", arguments: '{"query":"qwen","limit":3}' }] }, { text: "Found some." }],
      { MCP_SERVER_URL: inject("mockMcpUrl") },
    );
    const [call] = mcpCalls(done.data.steps);
    expect(call.tool_status).toBe("Success");
    expect(call.observation).toMatch(/Qwen\//);
  });
});
