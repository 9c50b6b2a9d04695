/**
 * The MCP tool source against a real third-party server (@modelcontextprotocol/server-everything,
 * Streamable HTTP and legacy SSE), plus the ModelScope mock where a test needs its knobs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMockMcpServer, type MockMcpServer } from "../../tools/fakes/mock-mcp-server";
import { forgetTransportKinds } from "../../src/mcp/connect";
import { clearToolListCache } from "../../src/mcp/tool-list-cache";
import { API_TOOL_NAME } from "../../src/mcp/tool-names";
import { createMcpToolSource, type McpToolSourceOptions } from "../../src/mcp/tool-source";
import { combineToolSources } from "../../src/mcp/tool-set";
import type { ToolSource } from "../../src/mcp/types";
import { startEverythingServer, type EverythingServer } from "../../tools/fakes/mcp-servers";
import { freePort } from "../../tools/run/worker";

let everything: EverythingServer;
let everythingSse: EverythingServer;
let mock: MockMcpServer;
const sources: ToolSource[] = [];

beforeAll(async () => {
  [everything, everythingSse, mock] = await Promise.all([
    startEverythingServer("streamableHttp"),
    startEverythingServer("sse"),
    startMockMcpServer({ port: 0 }),
  ]);
});
afterAll(async () => {
  await Promise.all(sources.map((s) => s.close?.()));
  await Promise.all([everything?.close(), everythingSse?.close(), mock?.close()]);
});
beforeEach(() => {
  clearToolListCache();
  forgetTransportKinds();
});

/** A tool source that the suite closes, with a fetch that records every request. */
function source(options: McpToolSourceOptions) {
  const requests: { method: string; url: string; headers: Headers }[] = [];
  const recording: typeof fetch = (input, init) => {
    requests.push({ method: init?.method ?? "GET", url: String(input), headers: new Headers(init?.headers) });
    return fetch(input, init);
  };
  const s = createMcpToolSource({ fetch: recording, ...options });
  sources.push(s);
  return Object.assign(s, { requests });
}

describe("listing tools", () => {
  it("lists server-everything's tools with valid API names and object schemas", async () => {
    const tools = await source({ url: everything.url }).listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["echo", "get-sum", "get-tiny-image", "trigger-long-running-operation"]));
    for (const t of tools) {
      expect(t.name).toMatch(API_TOOL_NAME);
      expect(t.serverName).toBe(t.name);
      expect(t.parameters.type).toBe("object");
      expect(t.parameters.properties).toBeTypeOf("object");
    }
    expect(new Set(names).size).toBe(names.length);
    expect(tools.find((t) => t.name === "echo")?.description).toMatch(/echo/i);
  });

  it("offers only the allowlisted tools, and refuses a call to any other", async () => {
    const s = source({ url: everything.url, allowlist: ["echo", "get-sum", "no-such-tool"] });
    expect((await s.listTools()).map((t) => t.name).sort()).toEqual(["echo", "get-sum"]);
    const result = await s.callTool("get-tiny-image", "{}");
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(/Unknown tool "get-tiny-image".*echo/);
  });

  it("reuses a cached list across tool sources without touching the network, then connects lazily", async () => {
    await source({ url: mock.url }).listTools();
    const second = source({ url: mock.url });
    expect((await second.listTools()).length).toBeGreaterThan(0);
    expect(second.requests).toHaveLength(0);
    const result = await second.callTool("get_model_info", '{"model_id":"deepseek-ai/DeepSeek-R1"}');
    expect(result).toMatchObject({ ok: true });
    expect(second.requests.length).toBeGreaterThan(0);
    // A different token is a different cache entry.
    const other = source({ url: mock.url, authToken: "another-token" });
    await other.listTools();
    expect(other.requests.length).toBeGreaterThan(0);
  });

  it("throws a clear error when the server is down", async () => {
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    await expect(source({ url }).listTools()).rejects.toThrow(/Could not list the MCP server's tools: MCP server unreachable/);
  });
});

describe("calling tools", () => {
  it("calls echo", async () => {
    const s = source({ url: everything.url });
    await s.listTools();
    expect(await s.callTool("echo", '{"message":"你好, MCP"}')).toEqual({ ok: true, text: "Echo: 你好, MCP" });
  });

  it("works without listing first, on one connection for several calls", async () => {
    const s = source({ url: everything.url });
    expect(await s.callTool("get-sum", '{"a":2,"b":3}')).toEqual({ ok: true, text: "The sum of 2 and 3 is 5." });
    expect((await s.callTool("echo", '{"message":"again"}')).ok).toBe(true);
    // initialize + initialized + tools/list + 2 calls; no standalone GET stream.
    expect(s.requests.filter((r) => r.method === "POST")).toHaveLength(5);
    expect(s.requests.some((r) => r.method === "GET")).toBe(false);
  });

  it("describes an image instead of passing its bytes", async () => {
    const result = await source({ url: everything.url }).callTool("get-tiny-image", "{}");
    expect(result.ok).toBe(true);
    expect(result.text).toMatch(/Here's the image you requested:\n\[image: image\/png, \d+ bytes\]\nThe image above is the MCP logo\./);
    expect(result.text).not.toContain("iVBORw0KGgo");
  });

  it("describes resource links and embedded resources", async () => {
    const s = source({ url: everything.url });
    const links = await s.callTool("get-resource-links", '{"count":2}');
    expect(links.ok).toBe(true);
    expect(links.text).toMatch(/^\[resource link: demo:\/\/resource\/\S+, name Blob Resource 1, [a-z]+\/[a-z-]+, Resource 1: .*\]$/m);
    const embedded = await s.callTool("get-resource-reference", '{"resourceType":"Text","resourceId":2}');
    expect(embedded.ok).toBe(true);
    expect(embedded.text).toMatch(/\[resource: demo:\/\/resource\/\S+, text\/plain[^\]]*\]\n\S/);
  });

  it("cuts long results to maxResultChars with a marker", async () => {
    const s = source({ url: everything.url, maxResultChars: 200 });
    const result = await s.callTool("echo", JSON.stringify({ message: "x".repeat(5000) }));
    expect(result.ok).toBe(true);
    expect(result.text.length).toBeLessThanOrEqual(200);
    expect(result.text).toMatch(/…\[cut: \d+ of 5006 characters omitted\]$/);
  });

  it("reports invalid arguments as a failed call", async () => {
    const result = await source({ url: everything.url }).callTool("get-sum", '{"a":"two"}');
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(/invalid|expected number/i);
  });

  it("refuses an unknown tool without calling the server", async () => {
    const s = source({ url: everything.url });
    await s.listTools();
    const before = s.requests.length;
    const result = await s.callTool("rm_rf", "{}");
    expect(result).toMatchObject({ ok: false });
    expect(result.text).toMatch(/Unknown tool "rm_rf"/);
    expect(s.requests.length).toBe(before);
  });

  it("refuses malformed JSON and non-object arguments without calling the server", async () => {
    const s = source({ url: everything.url });
    await s.listTools();
    const before = s.requests.length;
    const bad = await s.callTool("echo", '{"message": "unterminated');
    expect(bad.ok).toBe(false);
    expect(bad.text).toMatch(/Invalid arguments for tool "echo": malformed JSON/);
    expect((await s.callTool("echo", "[1,2]")).text).toMatch(/expected a JSON object/);
    expect(s.requests.length).toBe(before);
  });

  it("turns a server that is down into ok:false", async () => {
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    const result = await source({ url }).callTool("echo", "{}");
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(/MCP server unreachable \(connection refused\)/);
  });

  it("times out a slow call", async () => {
    const s = source({ url: everything.url, callTimeoutMs: 1_500 });
    await s.listTools(); // connect and list within the bound first
    const started = Date.now();
    const result = await s.callTool("trigger-long-running-operation", '{"duration":10,"steps":2}');
    expect(result).toEqual({ ok: false, text: 'Tool "trigger-long-running-operation" timed out after 1500 ms.' });
    expect(Date.now() - started).toBeLessThan(4_000);
    // The connection is still usable afterwards.
    expect((await s.callTool("echo", '{"message":"after"}')).ok).toBe(true);
  });

  it("stops when the caller's signal aborts", async () => {
    const s = source({ url: everything.url });
    await s.listTools();
    const result = await s.callTool("trigger-long-running-operation", '{"duration":10,"steps":2}', AbortSignal.timeout(300));
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(/failed: MCP request (timed out|cancelled)/);
  });
});

describe("transports, sessions, auth", () => {
  it("falls back to the legacy SSE transport", async () => {
    const s = source({ url: everythingSse.url });
    expect((await s.listTools()).map((t) => t.name)).toContain("echo");
    expect(await s.callTool("echo", '{"message":"over SSE"}')).toEqual({ ok: true, text: "Echo: over SSE" });
    expect(s.requests[0]).toMatchObject({ method: "POST", url: everythingSse.url }); // the Streamable HTTP probe
    expect(s.requests.some((r) => r.url.includes("/message?sessionId="))).toBe(true);
  });

  it("re-initialises once when the server forgot the session (404)", async () => {
    const s = source({ url: mock.url, listCacheTtlMs: 0 });
    expect((await s.callTool("get_model_info", '{"model_id":"Qwen/Qwen2.5-7B-Instruct"}')).ok).toBe(true);
    mock.expireSessions();
    const again = await s.callTool("get_model_info", '{"model_id":"ZhipuAI/glm-4-9b-chat"}');
    expect(again.ok).toBe(true);
    expect(again.text).toContain("GLM-4-9B-Chat");
    const sessions = new Set(s.requests.map((r) => r.headers.get("mcp-session-id")).filter(Boolean));
    expect(sessions.size).toBe(2);
  });

  it("sends the token as a bearer header on every request, and never leaks it", async () => {
    const token = "ms-secret-token-4242";
    const guarded = await startMockMcpServer({ port: 0, token });
    try {
      const s = source({ url: guarded.url, authToken: token });
      expect((await s.listTools()).length).toBe(5);
      expect((await s.callTool("search_models", '{"query":"qwen","limit":1}')).ok).toBe(true);
      expect(s.requests.length).toBeGreaterThan(3);
      for (const r of s.requests) expect(r.headers.get("authorization")).toBe(`Bearer ${token}`);

      const wrong = source({ url: guarded.url, authToken: "wrong-token-1234" });
      const listError = await wrong.listTools().then(() => undefined, (e: Error) => e.message);
      expect(listError).toMatch(/HTTP 401.*MCP_AUTH_TOKEN/);
      const call = await wrong.callTool("search_models", "{}");
      expect(call.ok).toBe(false);
      expect(call.text).not.toContain("wrong-token-1234");
    } finally {
      await guarded.close();
    }
  });

  it("closes its session on close()", async () => {
    const s = source({ url: mock.url, listCacheTtlMs: 0 });
    await s.listTools();
    const open = mock.sessionCount();
    await s.close!();
    expect(mock.sessionCount()).toBe(open - 1);
    expect(s.requests.at(-1)?.method).toBe("DELETE");
  });
});

describe("approval policies against server-everything's own annotations (several servers, combineToolSources)", () => {
  it("`writes` asks approval for every tool whose annotations do not say readOnlyHint: true; `always`, `never` and a list do what they say", async () => {
    const tools = combineToolSources([
      { label: "w", approval: "writes", source: source({ url: everything.url }) },
      { label: "a", approval: "always", source: source({ url: everythingSse.url }) },
      { label: "n", approval: "never", source: source({ url: everything.url, allowlist: ["echo", "toggle-simulated-logging"] }) },
      { label: "l", approval: ["get-sum"], source: source({ url: everythingSse.url, allowlist: ["echo", "get-sum"] }) },
    ]);
    const listings = await tools.listTools();
    expect(listings.map((l) => [l.server, l.error])).toEqual([["w", undefined], ["a", undefined], ["n", undefined], ["l", undefined]]);
    const approval = (server: string) => Object.fromEntries(listings.find((l) => l.server === server)!.tools.map((t) => [t.serverName, t.approval]));
    const writes = approval("w");
    // Read-only by their annotations: offered without approval.
    for (const name of ["echo", "get-sum", "get-tiny-image", "get-env"]) expect(writes[name], name).toBe(false);
    // readOnlyHint: false: approval.
    for (const name of ["toggle-simulated-logging", "toggle-subscriber-updates", "gzip-file-as-resource"]) expect(writes[name], name).toBe(true);
    expect(Object.values(approval("a")).every((needs) => needs === true)).toBe(true);
    expect(approval("n")).toEqual({ echo: false, "toggle-simulated-logging": false });
    expect(approval("l")).toEqual({ echo: false, "get-sum": true });
    // Several servers: each tool offered as {label}__{tool}, with its server.
    expect(listings.find((l) => l.server === "l")!.tools.map((t) => [t.name, t.server])).toEqual([["l__echo", "l"], ["l__get-sum", "l"]]);
  });
});
