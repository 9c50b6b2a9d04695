/** The typed ModelScope client against the mock server, over both transports. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockMcpServer, type MockMcpServer } from "../../tools/fakes/mock-mcp-server";
import { forgetTransportKinds } from "../../src/mcp/connect";
import { ModelScopeClient, ModelScopeToolError, type ProgressUpdate } from "../../tools/fakes/modelscope-client";
import { freePort } from "../../tools/run/worker";

let mock: MockMcpServer;
beforeAll(async () => {
  mock = await startMockMcpServer({ port: 0, token: "ms-token-xyz" });
});
afterAll(() => mock?.close());

describe.each([
  ["streamable-http", () => mock.url],
  ["sse", () => mock.sseUrl],
] as const)("over %s", (kind, url) => {
  let client: ModelScopeClient;
  beforeAll(async () => {
    forgetTransportKinds();
    client = await ModelScopeClient.connect(url(), { authToken: "ms-token-xyz" });
  });
  afterAll(() => client?.close());

  it("speaks the expected transport", async () => {
    expect(await client.transport()).toBe(kind);
  });

  it("searches models with typed results", async () => {
    const { text, items } = await client.searchModels({ query: "DeepSeek", sort: "LikesCount", limit: 2 });
    expect(items.map((m) => m.id)).toEqual(["deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-V3"]);
    expect(items[0]).toMatchObject({ task: "text-generation", license: "mit", modelscope_url: "https://modelscope.cn/models/deepseek-ai/DeepSeek-R1" });
    expect(text).toMatch(/^\d+ model\(s\) found for "DeepSeek":\n1\. deepseek-ai\/DeepSeek-R1 /);
  });

  it("sorts each search by the orders its tool accepts, and TypeScript refuses the others", async () => {
    const { items } = await client.searchModels({ query: "qwen", sort: "DownloadsCount", limit: 3 });
    const downloads = items.map((m) => m.downloads_count!);
    expect(downloads).toEqual([...downloads].sort((a, b) => b - a));
    expect((await client.searchDatasets({ query: "", sort: "downloads", limit: 1 })).items).toHaveLength(1);
    // The server refuses a sort its tool does not know; the types say so before it is sent.
    // @ts-expect-error "downloads" is a dataset sort; models sort by "DownloadsCount"
    const refused = await client.searchModels({ query: "qwen", sort: "downloads" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ModelScopeToolError);
    expect((refused as ModelScopeToolError).text).toMatch(/sort/);
  });

  it("filters by task", async () => {
    const { items } = await client.searchModels({ query: "", task: "text-to-image" });
    expect(items.map((m) => m.id).sort()).toEqual(["AI-ModelScope/stable-diffusion-xl-base-1.0", "MusePublic/FLUX.1-dev"]);
  });

  it("searches datasets and papers", async () => {
    expect((await client.searchDatasets({ query: "aishell" })).items[0]?.id).toBe("speech_asr/speech_asr_aishell1_trainsets");
    expect((await client.searchPapers({ query: "Paraformer" })).items[0]?.arxiv_id).toBe("2206.08317");
  });

  it("gets model info, and throws a tool error for an unknown model", async () => {
    const info = await client.getModelInfo("iic/speech_paraformer-large_asr_nat-zh-cn-16k-common-vocab8404-pytorch");
    expect(info.model?.task).toBe("auto-speech-recognition");
    expect(info.text).toContain("Paraformer");
    const error = await client.getModelInfo("nobody/nothing").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelScopeToolError);
    expect((error as ModelScopeToolError).text).toBe("Model not found: nobody/nothing");
  });

  it("reports progress before the streaming result", async () => {
    const updates: ProgressUpdate[] = [];
    const result = await client.testStreaming({ steps: 4, interval_ms: 5, message: "hi" }, { onProgress: (u) => updates.push(u) });
    expect(updates.map((u) => u.progress)).toEqual([1, 2, 3, 4]);
    expect(updates[3]).toEqual({ progress: 4, total: 4, message: "step 4/4" });
    expect(result.text).toBe("Completed 4 steps: hi");
  });
});

describe("lifecycle", () => {
  it("closes itself at the end of an `await using` block", async () => {
    let seen: ModelScopeClient | undefined;
    const before = mock.sessionCount();
    {
      await using client = await ModelScopeClient.connect(mock.url, { authToken: "ms-token-xyz" });
      seen = client;
      expect(await client.listToolNames()).toContain("search_models");
      expect(mock.sessionCount()).toBe(before + 1);
    }
    expect(mock.sessionCount()).toBe(before);
    await expect(seen.searchModels({ query: "qwen" })).rejects.toThrow(/closed/);
  });

  it("fails to connect with a wrong token or a dead server", async () => {
    await expect(ModelScopeClient.connect(mock.url, { authToken: "nope" })).rejects.toThrow(/Unauthorized|401/);
    const dead = `http://127.0.0.1:${await freePort()}/mcp`;
    await expect(ModelScopeClient.connect(dead, { timeoutMs: 2_000 })).rejects.toThrow();
  });
});
