/**
 * The MCP tool source and the ModelScope client running inside workerd (where Ajv's code
 * generation is forbidden and fetch is the only I/O), against the servers that
 * test/support/global-setup.ts starts: the ModelScope mock and server-everything.
 */
import { beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { forgetTransportKinds } from "../../src/mcp/connect";
import { ModelScopeClient } from "../../tools/fakes/modelscope-client";
import { clearToolListCache } from "../../src/mcp/tool-list-cache";
import { createMcpToolSource } from "../../src/mcp/tool-source";

declare module "vitest" {
  export interface ProvidedContext {
    mockMcpUrl: string;
    mockMcpSseUrl: string;
    everythingMcpUrl: string;
    everythingMcpSseUrl: string;
  }
}

beforeAll(() => {
  if (!inject("mockMcpUrl") || !inject("everythingMcpUrl")) {
    throw new Error("test/support/global-setup.ts must provide the MCP server URLs (startMcpServers in tools/fakes/mcp-servers.ts)");
  }
});
beforeEach(() => {
  clearToolListCache();
  forgetTransportKinds();
});

describe("tool source in workerd", () => {
  it("lists and calls the ModelScope mock over Streamable HTTP", async () => {
    const source = createMcpToolSource({ url: inject("mockMcpUrl") });
    try {
      const tools = await source.listTools();
      expect(tools.map((t) => t.name)).toEqual(["search_models", "search_datasets", "search_papers", "get_model_info", "test_streaming"]);
      // search_models has an output schema: validated by the Cloudflare-Worker validator, not Ajv.
      const result = await source.callTool("search_models", '{"query":"Qwen2.5-VL","limit":1}');
      expect(result.ok).toBe(true);
      expect(result.text).toContain("Qwen/Qwen2.5-VL-7B-Instruct");
      expect(await source.callTool("get_model_info", '{"model_id":"nobody/nothing"}')).toEqual({ ok: false, text: "Model not found: nobody/nothing" });
    } finally {
      await source.close?.();
    }
  });

  it("falls back to the legacy SSE transport", async () => {
    const source = createMcpToolSource({ url: inject("mockMcpSseUrl") });
    try {
      expect((await source.listTools()).length).toBe(5);
      const result = await source.callTool("search_papers", '{"query":"Qwen2.5 Technical Report"}');
      expect(result).toMatchObject({ ok: true });
      expect(result.text).toContain("2412.15115");
    } finally {
      await source.close?.();
    }
  });

  it("works with server-everything: echo, an image, structured content, both transports", async () => {
    for (const url of [inject("everythingMcpUrl"), inject("everythingMcpSseUrl")]) {
      const source = createMcpToolSource({ url });
      try {
        const names = (await source.listTools()).map((t) => t.name);
        expect(names).toContain("get-structured-content");
        expect(await source.callTool("echo", '{"message":"from workerd"}')).toEqual({ ok: true, text: "Echo: from workerd" });
        expect((await source.callTool("get-tiny-image", "{}")).text).toMatch(/\[image: image\/png, \d+ bytes\]/);
        const weather = await source.callTool("get-structured-content", '{"location":"Chicago"}');
        expect(weather.ok).toBe(true);
        expect(weather.text).toMatch(/36/);
      } finally {
        await source.close?.();
      }
    }
  });

  it("times out a slow tool and reports a dead server", async () => {
    // The bound covers the listing too: 1.5 s leaves a loaded machine room to list, while the tool
    // (4 steps 1 s apart) cannot finish within it on any machine.
    const slow = createMcpToolSource({ url: inject("mockMcpUrl"), callTimeoutMs: 1_500 });
    try {
      await slow.listTools();
      const result = await slow.callTool("test_streaming", '{"steps":4,"interval_ms":1000}');
      expect(result).toEqual({ ok: false, text: 'Tool "test_streaming" timed out after 1500 ms.' });
    } finally {
      await slow.close?.();
    }
    // Port 9 (discard) on loopback: nothing listens there.
    const dead = createMcpToolSource({ url: "http://127.0.0.1:9/mcp", callTimeoutMs: 3_000 });
    await expect(dead.listTools()).rejects.toThrow(/Could not list the MCP server's tools/);
    const call = await dead.callTool("echo", "{}");
    expect(call.ok).toBe(false);
    expect(call.text).toMatch(/MCP server|timed out/);
  });
});

describe("ModelScope client in workerd", () => {
  it("searches and streams progress, closing with `await using`", async () => {
    const progress: number[] = [];
    {
      await using client = await ModelScopeClient.connect(inject("mockMcpUrl"));
      const { items } = await client.searchModels({ query: "glm" });
      expect(items.map((m) => m.id)).toContain("ZhipuAI/glm-4-9b-chat");
      const streamed = await client.testStreaming({ steps: 2, interval_ms: 10 }, { onProgress: (p) => progress.push(p.progress) });
      expect(streamed.text).toBe("Completed 2 steps: streaming test");
    }
    expect(progress).toEqual([1, 2]);
  });
});
