/// <reference lib="esnext.disposable" />
/**
 * A typed client for a ModelScope MCP server (the real one or tools/fakes/mock-mcp-server.ts), for
 * scripts and Workers: the TypeScript counterpart of the old Python ModelscopeMCPClient.
 *
 *   await using client = await ModelScopeClient.connect("http://127.0.0.1:3000/mcp");
 *   const { items } = await client.searchModels({ query: "qwen", limit: 3 });
 *
 * Same connection logic as the chat's tool source (Streamable HTTP, legacy SSE fallback, the
 * Worker-safe validator, re-initialising an expired session once).
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { TransportKind } from "../../src/mcp/connect";
import { resultToText } from "../../src/mcp/result-text";
import { McpSession } from "../../src/mcp/session";

export interface ModelScopeConnectOptions {
  authToken?: string;
  fetch?: typeof fetch;
  transport?: TransportKind | "auto";
  /** Bound on each call. Default 30 s. */
  timeoutMs?: number;
}

export interface ModelSummary {
  id: string;
  path?: string;
  name?: string;
  chinese_name?: string;
  task?: string;
  description?: string;
  license?: string;
  downloads_count?: number;
  likes_count?: number;
  /** Unix seconds. */
  updated_at?: number;
  modelscope_url?: string;
}

export interface DatasetSummary extends Omit<ModelSummary, "task"> {}

export interface PaperSummary {
  arxiv_id: string;
  title: string;
  authors?: string;
  publish_date?: string;
  abstract_en?: string;
  arxiv_url?: string;
  modelscope_url?: string;
}

/** The sort orders each search tool accepts (ModelScope's MCP server; the mock server checks them too). */
export const MODEL_SORTS = ["Default", "DownloadsCount", "LikesCount", "GmtModified"] as const;
export const DATASET_SORTS = ["default", "downloads", "likes", "gmt_modified"] as const;
export const PAPER_SORTS = ["default", "hot", "recommend"] as const;

interface SearchParams<Sort extends string> {
  query: string;
  sort?: Sort;
  limit?: number;
}

export interface SearchModelsParams extends SearchParams<(typeof MODEL_SORTS)[number]> {
  task?: string;
}
export type SearchDatasetsParams = SearchParams<(typeof DATASET_SORTS)[number]>;
export type SearchPapersParams = SearchParams<(typeof PAPER_SORTS)[number]>;

/** A search answer: the server's text and, when it sent structured content, the items. */
export interface SearchResult<T> {
  text: string;
  items: T[];
}

export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (update: ProgressUpdate) => void;
}

/** A tool answered with `isError`: its text says why. */
export class ModelScopeToolError extends Error {
  constructor(readonly tool: string, readonly text: string) {
    super(`${tool}: ${text}`);
    this.name = "ModelScopeToolError";
  }
}

const TEXT_MAX = 100_000;

export class ModelScopeClient {
  readonly #session: McpSession;
  readonly #timeoutMs: number;

  private constructor(session: McpSession, timeoutMs: number) {
    this.#session = session;
    this.#timeoutMs = timeoutMs;
  }

  /** Connects (initialises the session) before returning, so a bad URL or token fails here. */
  static async connect(url: string, options: ModelScopeConnectOptions = {}): Promise<ModelScopeClient> {
    const session = new McpSession({ url, authToken: options.authToken, fetch: options.fetch, transport: options.transport });
    const timeoutMs = options.timeoutMs ?? 30_000;
    try {
      await session.connection(AbortSignal.timeout(timeoutMs));
    } catch (error) {
      await session.close();
      throw error;
    }
    return new ModelScopeClient(session, timeoutMs);
  }

  /** Which transport the server turned out to speak. */
  async transport(): Promise<TransportKind> {
    return (await this.#session.connection()).kind;
  }

  async listToolNames(options: CallOptions = {}): Promise<string[]> {
    const signal = this.#signal(options.signal);
    const { tools } = await this.#session.run((c) => c.listTools(undefined, { signal }), signal);
    return tools.map((t) => t.name);
  }

  searchModels(params: SearchModelsParams, options?: CallOptions): Promise<SearchResult<ModelSummary>> {
    return this.#search("search_models", params, options);
  }

  searchDatasets(params: SearchDatasetsParams, options?: CallOptions): Promise<SearchResult<DatasetSummary>> {
    return this.#search("search_datasets", params, options);
  }

  searchPapers(params: SearchPapersParams, options?: CallOptions): Promise<SearchResult<PaperSummary>> {
    return this.#search("search_papers", params, options);
  }

  async getModelInfo(modelId: string, options?: CallOptions): Promise<{ text: string; model?: ModelSummary }> {
    const result = await this.callTool("get_model_info", { model_id: modelId }, options);
    const model = result.structuredContent as ModelSummary | undefined;
    return { text: resultToText(result, TEXT_MAX), model: model && typeof model.id === "string" ? model : undefined };
  }

  /** Calls test_streaming; `onProgress` hears each progress notification before the answer. */
  async testStreaming(
    params: { steps?: number; interval_ms?: number; message?: string } = {},
    options?: CallOptions,
  ): Promise<{ text: string }> {
    const result = await this.callTool("test_streaming", params, options);
    return { text: resultToText(result, TEXT_MAX) };
  }

  /** Any tool by its server name. Throws ModelScopeToolError when the tool answers isError. */
  async callTool(name: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<CallToolResult> {
    const signal = this.#signal(options.signal);
    const onprogress = options.onProgress
      ? (p: ProgressUpdate) => options.onProgress!({ progress: p.progress, total: p.total, message: p.message })
      : undefined;
    const result = (await this.#session.run(
      (c) => c.callTool({ name, arguments: args }, undefined, { signal, onprogress, timeout: this.#timeoutMs + 1_000 }),
      signal,
    )) as CallToolResult;
    if (result.isError) throw new ModelScopeToolError(name, resultToText(result, TEXT_MAX) || "tool error");
    return result;
  }

  async close(): Promise<void> {
    await this.#session.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #search<T>(tool: string, params: object, options?: CallOptions): Promise<SearchResult<T>> {
    const result = await this.callTool(tool, { ...params }, options);
    const structured = result.structuredContent as { result?: unknown } | undefined;
    const items = Array.isArray(structured?.result) ? (structured.result as T[]) : [];
    return { text: resultToText({ content: result.content }, TEXT_MAX), items };
  }

  #signal(signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }
}
