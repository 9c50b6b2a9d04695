/**
 * The leak scan (leak-scan.ts, run after every worker test file) really sees what the suite
 * produces, and the paths most likely to leak a secret don't: Azure refusing our key, a wrong
 * client key, an MCP server that is down while a token is configured, an unexpected error.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { envelopeOf, ndjson, post, settled, terminal, userText } from "./helpers";
import { allLogs, clearRecords, counts, findLeaks } from "./leak-registry";
import { chatBody, KEY_A, logLineOf, send } from "./security-support";

const configured = env as unknown as { AZURE_OPENAI_API_KEY: string; MCP_AUTH_TOKEN: string; API_KEYS: string };

describe("the leak scan", () => {
  it("finds a secret in a log line or a response, as is, URL-encoded or base64", async () => {
    console.log(`[planted leak for the scan's self-test] ${configured.AZURE_OPENAI_API_KEY}`);
    expect(findLeaks().map((l) => l.where)).toEqual([expect.stringMatching(/^log line/)]);
    clearRecords();

    console.error(JSON.stringify({ auth: btoa(configured.MCP_AUTH_TOKEN) }));
    expect(findLeaks()).toHaveLength(1);
    clearRecords();

    // A response that echoes a key the client presented (the app never does; this one is made up).
    const key = "sk-test-presented-12345678";
    await send("/api/chat", { headers: { authorization: `Bearer ${key}` }, body: chatBody() }).then((r) => r.arrayBuffer());
    console.warn(encodeURIComponent(key));
    expect(findLeaks().map((l) => l.where)).toEqual([expect.stringMatching(/^log line/)]);
    clearRecords();
  });

  it("records every response post() returns and every log line", async () => {
    const before = counts();
    const res = await post(userText("count me"));
    await res.text();
    await settled(res);
    const after = counts();
    expect(after.responses).toBe(before.responses + 1);
    expect(after.logs).toBeGreaterThan(before.logs);
    expect(allLogs().at(-1)).toContain('"msg":"request"');
  });
});

describe("paths that could leak a secret don't", () => {
  it("Azure refusing our key", async () => {
    const res = await post(userText("[[fake:auth]]"), { accept: "application/json" });
    await envelopeOf(res, 502, /AZURE_OPENAI_API_KEY/);
    expect(terminal(await ndjson(await post(userText("[[fake:auth]]"))))).toMatchObject({ type: "error", code: 502 });
    await logLineOf(res);
    expect(findLeaks()).toEqual([]);
  });

  it.each([
    ["the first configured key", () => configured.API_KEYS.split(",")[0], 200],
    ["the second configured key", () => configured.API_KEYS.split(",")[1], 200],
    ["a configured key plus a suffix", () => `${configured.API_KEYS.split(",")[0]}-wrong`, 401],
    ["a key that is not configured", () => KEY_A, 401],
  ])("%s: answered, and neither the key nor the configured ones appear anywhere", async (_, key, status) => {
    const res = await send("/api/chat", { headers: { authorization: `Bearer ${key()}` }, body: chatBody(), env: { ALLOW_ANONYMOUS: "false" } });
    expect(res.status).toBe(status);
    const text = await res.text();
    if (status === 200) expect(text).toContain('"type":"done"');
    await logLineOf(res.headers.get("x-request-id")!);
    expect(findLeaks()).toEqual([]);
  });

  it("no keys configured: a 503, and no secret anywhere", async () => {
    await envelopeOf(await send("/api/chat", { body: chatBody(), env: { API_KEYS: "", ALLOW_ANONYMOUS: "false" } }), 503);
    expect(findLeaks()).toEqual([]);
  });

  it("an MCP server that is down while MCP_AUTH_TOKEN is set", async () => {
    const res = await post(userText("tools?"), { env: { MCP_SERVER_URL: "http://127.0.0.1:9/mcp" } });
    const events = await ndjson(res);
    expect(terminal(events).type).toBe("done");
    expect(terminal(events).data.steps.some((s) => s.tool_type === "MCP" && s.tool_status === "Error")).toBe(true);
    await logLineOf(res);
    expect(findLeaks()).toEqual([]);
  });

  it("every format and error so far", async () => {
    await (await post(userText("sse"), { accept: "text/event-stream" })).text();
    await (await post(userText("json"), { accept: "application/json" })).text();
    await (await post(userText("[[fake:break]]"))).text();
    await (await post("{bad", {})).text();
    expect(findLeaks()).toEqual([]);
  });
});
