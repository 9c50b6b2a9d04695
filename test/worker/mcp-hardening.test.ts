/**
 * MCP servers misbehaving (test/support/hostile-mcp.ts, over real HTTP): a tool result of several
 * MiB in one SSE line or one JSON body, a redirect, tools that repeat the bearer token they were
 * sent. The chat must stay responsive, fail the one call with a clear Error step, and never pass the
 * token on to the client or the model.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { fakeRequests, newNonce, scriptFake, type ScriptedResponse } from "../../tools/fakes/fake-azure-client";
import type { Step } from "../../src/schema/events";
import { forgetTransportKinds } from "../../src/mcp/connect";
import { clearToolListCache } from "../../src/mcp/tool-list-cache";
import { fakeUrl, ndjson, post, terminal } from "./helpers";

const TOKEN = (env as unknown as { MCP_AUTH_TOKEN: string }).MCP_AUTH_TOKEN;
const hostile = (path: string) => new URL(path, inject("hostileMcpUrl")).href;

beforeEach(() => {
  clearToolListCache();
  forgetTransportKinds();
});

async function chatWithTools(script: ScriptedResponse[], mcpPath: string, extra: Partial<Env> = {}) {
  const nonce = newNonce();
  await scriptFake(fakeUrl(), nonce, script);
  const started = Date.now();
  const events = await ndjson(
    await post({ user_id: "hostile_user", query: [{ role: "user", content: `use the tools ${nonce}` }] }, { env: { MCP_SERVER_URL: hostile(mcpPath), ...extra } }),
  );
  const elapsed = Date.now() - started;
  const sent = (await fakeRequests(fakeUrl(), nonce)).map((r) => r.body);
  return { events, done: terminal(events), sent, elapsed };
}

const calls = (steps: Step[]) => steps.filter((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).tool);
const listing = (steps: Step[]) => steps.find((s) => s.tool_type === "MCP" && JSON.parse(s.parameters).action === "tools/list")!;
const big = (bytes: number, id = "call_big") => ({ id, name: "big", arguments: JSON.stringify({ bytes }) });

describe("a tool result of several MiB", () => {
  it.each([
    ["one SSE line (Streamable HTTP)", "sse/mcp"],
    ["one JSON body (Streamable HTTP)", "json/mcp"],
  ])("fails only that call, quickly and with a clear Error step, when it arrives as %s", async (_, path) => {
    const { done, elapsed } = await chatWithTools(
      [{ toolCalls: [big(6 * 1024 * 1024), { id: "call_hello", name: "hello", arguments: "{}" }] }, { text: "carried on" }],
      path,
      { MCP_TOOL_TIMEOUT_MS: "4000" },
    );
    console.info(`[mcp-hardening] a 6 MiB tool result as ${path} was refused; the chat took ${elapsed} ms`);
    expect(done).toMatchObject({ type: "done", data: { answer: "carried on" } });
    const [huge, hello] = calls(done.data.steps);
    expect(huge).toMatchObject({ tool_status: "Error", observation: expect.stringMatching(/larger than the 4 MiB allowed/) });
    expect(huge.execution_duration).toBeLessThan(4000);
    expect(hello).toMatchObject({ tool_status: "Success", observation: "hello" });
  }, 30_000);

  it("fails the call with a clear Error step over the legacy HTTP+SSE transport too", async () => {
    const { done } = await chatWithTools([{ toolCalls: [big(6 * 1024 * 1024)] }, { text: "carried on" }], "legacy/sse", { MCP_TOOL_TIMEOUT_MS: "4000" });
    expect(done).toMatchObject({ type: "done", data: { answer: "carried on" } });
    const [huge] = calls(done.data.steps);
    expect(huge).toMatchObject({ tool_status: "Error", observation: expect.stringMatching(/larger than the 4 MiB allowed/) });
    expect(huge.execution_duration).toBeLessThan(4000);
  }, 30_000);
});

describe("redirects from the MCP server", () => {
  it("refuses a redirect, even to the same origin: the listing is an Error step naming MCP_SERVER_URL", async () => {
    const { done, sent } = await chatWithTools([{ text: "no tools" }], "redirect/mcp");
    expect(done).toMatchObject({ type: "done", data: { answer: "no tools" } });
    expect(listing(done.data.steps)).toMatchObject({ tool_status: "Error", observation: expect.stringMatching(/redirect.*MCP_SERVER_URL/i) });
    expect(JSON.parse(sent[0]).tools).toBeUndefined();
  });
});

describe("an MCP server that repeats our token", () => {
  it("keeps it out of the steps, the client's stream and what the model is told: results, tool errors, JSON-RPC errors, a failed listing", async () => {
    const { done, events, sent } = await chatWithTools(
      [
        {
          toolCalls: [
            { id: "call_echo", name: "echo_token", arguments: "{}" },
            { id: "call_fail", name: "fail_token", arguments: "{}" },
            { id: "call_error", name: "error_token", arguments: "{}" },
          ],
        },
        { text: "done with tokens" },
      ],
      "sse/mcp",
    );
    expect(done).toMatchObject({ type: "done", data: { answer: "done with tokens" } });
    const [echo, fail, error] = calls(done.data.steps);
    expect(echo).toMatchObject({ tool_status: "Success", observation: 'You called me with "Bearer [redacted]". Have a nice day.' });
    expect(fail).toMatchObject({ tool_status: "Error", observation: "Token [redacted] is not allowed here." });
    expect(error.tool_status).toBe("Error");
    expect(error.observation).toContain("[redacted]");
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    // Round 2's request body: the tool messages the model reads.
    expect(sent).toHaveLength(2);
    const toolMessages = JSON.parse(sent[1]).messages.filter((m: { role: string }) => m.role === "tool");
    expect(toolMessages).toHaveLength(3);
    expect(toolMessages[0].content).toContain("[redacted]");
    expect(sent[1]).not.toContain(TOKEN);

    // A listing that fails with an error repeating the token.
    const failed = await chatWithTools([{ text: "no tools" }], "listfail/mcp");
    const step = listing(failed.done.data.steps);
    expect(step.tool_status).toBe("Error");
    expect(step.observation).toContain("[redacted]");
    expect(JSON.stringify(failed.events)).not.toContain(TOKEN);
  });
});
