/**
 * The ModelScope mock MCP server, spoken to with the SDK's own client (so the mock is checked
 * independently of src/mcp), over Streamable HTTP and the legacy SSE transport.
 */
import { spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockMcpServer, type MockMcpServer } from "../../tools/fakes/mock-mcp-server";
import { MODELS } from "../../tools/fakes/modelscope-fixture";
import { freePort } from "../../tools/run/worker";

let mock: MockMcpServer;
beforeAll(async () => {
  mock = await startMockMcpServer({ port: 0 });
});
afterAll(() => mock?.close());

async function connect(kind: "streamable" | "sse"): Promise<Client> {
  const client = new Client({ name: "mock-test", version: "1" });
  await client.connect(
    kind === "sse" ? new SSEClientTransport(new URL(mock.sseUrl)) : new StreamableHTTPClientTransport(new URL(mock.url)),
  );
  return client;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

describe.each(["streamable", "sse"] as const)("over %s", (kind) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(kind);
  });
  afterAll(() => client?.close());

  it("lists the ModelScope tools with their parameters", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["search_models", "search_datasets", "search_papers", "get_model_info", "test_streaming"]);
    const search = tools.find((t) => t.name === "search_models")!;
    expect(Object.keys(search.inputSchema.properties ?? {})).toEqual(["query", "task", "sort", "limit"]);
    expect(search.outputSchema).toBeDefined();
  });

  it("searches models by query and task, sorted and limited", async () => {
    const result = (await client.callTool({
      name: "search_models",
      arguments: { query: "qwen", task: "text-generation", sort: "DownloadsCount", limit: 2 },
    })) as CallToolResult;
    const items = (result.structuredContent as { result: { id: string; downloads_count: number }[] }).result;
    expect(items.map((m) => m.id)).toEqual(["Qwen/Qwen2.5-7B-Instruct", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"]);
    expect(text(result)).toMatch(/^5 model\(s\) found for "qwen":\n1\. Qwen\/Qwen2\.5-7B-Instruct \(通义千问2\.5-7B-Instruct\), text-generation/);
    const asr = (await client.callTool({ name: "search_models", arguments: { task: "auto-speech-recognition" } })) as CallToolResult;
    expect(text(asr)).toContain("iic/speech_paraformer-large_asr_nat-zh-cn-16k-common-vocab8404-pytorch");
  });

  it("searches datasets and papers", async () => {
    const datasets = (await client.callTool({ name: "search_datasets", arguments: { query: "ceval" } })) as CallToolResult;
    expect(text(datasets)).toContain("modelscope/ceval-exam");
    const papers = (await client.callTool({ name: "search_papers", arguments: { query: "reasoning", sort: "hot", limit: 1 } })) as CallToolResult;
    expect(text(papers)).toMatch(/DeepSeek-R1: Incentivizing Reasoning/);
  });

  it("gives model info, and an error result for an unknown model", async () => {
    const info = (await client.callTool({ name: "get_model_info", arguments: { model_id: "damo/cv_resnet50_image-classification" } })) as CallToolResult;
    expect(info.isError).toBeFalsy();
    expect(text(info)).toMatch(/Task: image-classification/);
    const missing = (await client.callTool({ name: "get_model_info", arguments: { model_id: "nobody/nothing" } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(text(missing)).toBe("Model not found: nobody/nothing");
  });

  it("sends progress notifications before test_streaming's result", async () => {
    const progress: number[] = [];
    const result = (await client.callTool({ name: "test_streaming", arguments: { steps: 3, interval_ms: 10 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    })) as CallToolResult;
    expect(progress).toEqual([1, 2, 3]);
    expect(text(result)).toBe("Completed 3 steps: streaming test");
  });
});

describe("the server itself", () => {
  it("answers 404 to an unknown session and 400 to a request without one", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const unknown = await fetch(mock.url, { method: "POST", body, headers: { ...headers, "mcp-session-id": "gone" } });
    expect(unknown.status).toBe(404);
    expect((await fetch(mock.url, { method: "POST", body, headers })).status).toBe(400);
    expect((await fetch(mock.sseUrl, { method: "POST", body, headers })).status).toBe(405);
  });

  it("requires the token when started with one", async () => {
    const guarded = await startMockMcpServer({ port: 0, token: "t0ken-abc" });
    try {
      const bare = new Client({ name: "x", version: "1" });
      await expect(bare.connect(new StreamableHTTPClientTransport(new URL(guarded.url)))).rejects.toThrow(/Unauthorized/);
      const authed = new Client({ name: "x", version: "1" });
      await authed.connect(new StreamableHTTPClientTransport(new URL(guarded.url), { requestInit: { headers: { Authorization: "Bearer t0ken-abc" } } }));
      expect((await authed.listTools()).tools).toHaveLength(5);
      await authed.close();
    } finally {
      await guarded.close();
    }
  });

  it("has a realistic fixture", () => {
    const ids = MODELS.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-VL-7B-Instruct", "deepseek-ai/DeepSeek-R1", "ZhipuAI/glm-4-9b-chat"]));
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of MODELS) expect(m.downloads_count).toBeGreaterThan(0);
  });

  it("runs from the command line (npm run mock:mcp -- --port N)", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/mock-mcp-server.ts", "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (c) => {
          out += c;
          if (out.includes("legacy SSE")) resolve(out);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}`)));
        setTimeout(() => reject(new Error(`no banner: ${out}`)), 15_000);
      });
      expect(banner).toContain(`http://127.0.0.1:${port}/mcp`);
      const client = new Client({ name: "cli", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
      expect((await client.listTools()).tools.length).toBe(5);
      await client.close();
    } finally {
      child.kill("SIGTERM");
    }
  });
});
