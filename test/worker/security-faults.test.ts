/**
 * Faults around the chat with MCP configured: a server that is down or is not an MCP server becomes
 * an MCP Error step and the chat still ends in `done`. (Azure hanging under a short
 * UPSTREAM_TIMEOUT_MS is a 504: test/worker/chat-faults.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { fakeUrl, ndjson, post, terminal, userText } from "./helpers";
import { logLineOf } from "./security-support";

describe("MCP down", () => {
  it.each([
    ["a closed port", () => "http://127.0.0.1:9/mcp"],
    ["a server that does not speak MCP", () => new URL("__fake/health", fakeUrl()).href],
  ])("%s: an MCP Error step, the model is still asked, the chat ends in done", async (_, url) => {
    const started = Date.now();
    const res = await post(userText("still answering?"), { env: { MCP_SERVER_URL: url(), MCP_TOOL_TIMEOUT_MS: "2000" } });
    expect(res.status).toBe(200);
    const events = await ndjson(res);
    const end = terminal(events);
    expect(end.type).toBe("done");
    expect(end.data.answer).toBe("echo: still answering?");
    const mcp = end.data.steps.filter((s) => s.tool_type === "MCP");
    expect(mcp).toHaveLength(1);
    expect(mcp[0].tool_status).toBe("Error");
    expect(mcp[0].observation).toBeTruthy();
    expect(end.data.steps.map((s) => s.tool_type)).toEqual(["System", "InputParser", "MCP", "AzureOpenAI"]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await logLineOf(res)).toMatchObject({ outcome: "done", tools_listed: false });
  });
});
