/**
 * The chat run's ToolSource over a remote MCP server. One instance per chat request: it opens at
 * most one connection, lazily (a cached tool list needs none), reuses it for every call, and
 * `close()` ends it. Tool and server failures come back as `{ ok: false, text }`. Everything the
 * server says (results, tool errors, listing errors, tool descriptions) passes through the redactor
 * before the model or a step sees it.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Redactor } from "../security/redact";
import { describeMcpError } from "./errors";
import { resultToText } from "./result-text";
import { McpSession } from "./session";
import { withTimeout } from "./signals";
import { getCachedTools, getRecentFailure, setCachedTools, setRecentFailure, toolListCacheKey, type ServerTool } from "./tool-list-cache";
import { assignToolNames, unknownToolText } from "./tool-names";
import type { ToolResult, ToolSource, ToolSpec } from "./types";

export interface McpToolSourceOptions {
  /** The server's Streamable HTTP endpoint (or a legacy SSE endpoint). */
  url: string;
  authToken?: string;
  /** Server tool names to offer; undefined or empty offers all. */
  allowlist?: string[];
  /** Bound on one call, connecting included. Default 15 s. */
  callTimeoutMs?: number;
  /** How long a tool list is reused across chats. Default 60 s; 0 disables. */
  listCacheTtlMs?: number;
  /** Bound on a result's text. Default 4000. */
  maxResultChars?: number;
  /** Replaces configured secrets in what the server says (the config's; default: one for `authToken`). */
  redact?: Redactor;
  fetch?: typeof fetch;
}

const MAX_LIST_PAGES = 20;

export function createMcpToolSource(options: McpToolSourceOptions): ToolSource {
  return new McpToolSource(options);
}

class McpToolSource implements ToolSource {
  readonly #options: McpToolSourceOptions;
  readonly #session: McpSession;
  readonly #timeoutMs: number;
  readonly #redact: Redactor;
  #offered: ToolSpec[] | undefined;

  constructor(options: McpToolSourceOptions) {
    this.#options = options;
    this.#timeoutMs = options.callTimeoutMs ?? 15_000;
    this.#redact = options.redact ?? new Redactor([options.authToken]);
    this.#session = new McpSession({ url: options.url, authToken: options.authToken, fetch: options.fetch });
  }

  async listTools(signal?: AbortSignal): Promise<ToolSpec[]> {
    const tools = await this.#serverTools(signal);
    const allow = this.#options.allowlist?.length ? new Set(this.#options.allowlist) : undefined;
    const offered = allow ? tools.filter((t) => allow.has(t.name)) : tools;
    const names = assignToolNames(offered.map((t) => t.name));
    this.#offered = offered.map((t) => ({
      name: names.get(t.name)!,
      serverName: t.name,
      description: redactOptional(this.#redact, t.description ?? t.title),
      parameters: objectSchema(t.inputSchema),
      ...(t.readOnly !== undefined ? { readOnly: t.readOnly } : {}),
    }));
    return this.#offered.map((spec) => ({ ...spec, parameters: structuredClone(spec.parameters) }));
  }

  async callTool(name: string, argumentsJson: string, signal?: AbortSignal): Promise<ToolResult> {
    if (!this.#offered) {
      try {
        await this.listTools(signal);
      } catch (error) {
        return { ok: false, text: this.#redact.redact(error instanceof Error ? error.message : String(error)) };
      }
    }
    const spec = this.#offered!.find((s) => s.name === name);
    if (!spec) {
      return { ok: false, text: unknownToolText(name, this.#offered!.map((s) => s.name)) };
    }
    const args = parseArguments(argumentsJson);
    if (typeof args === "string") return { ok: false, text: `Invalid arguments for tool "${name}": ${args}` };

    const bound = withTimeout(signal, this.#timeoutMs);
    try {
      const result = await this.#session.run(
        (client) =>
          client.callTool({ name: spec.serverName, arguments: args }, undefined, {
            signal: bound.signal,
            // Our own signal fires first; this only keeps the SDK's 60 s default out of the way.
            timeout: this.#timeoutMs + 1_000,
          }),
        bound.signal,
      );
      const text = resultToText(result, this.#options.maxResultChars ?? 4_000, this.#redact);
      if (result.isError) return { ok: false, text: text || `Tool "${name}" reported an error.` };
      return { ok: true, text };
    } catch (error) {
      if (bound.timedOut()) return { ok: false, text: `Tool "${name}" timed out after ${this.#timeoutMs} ms.` };
      return { ok: false, text: `Tool "${name}" failed: ${describeMcpError(error, this.#redact)}` };
    }
  }

  async close(): Promise<void> {
    await this.#session.close();
  }

  async #serverTools(signal?: AbortSignal): Promise<ServerTool[]> {
    const { url, authToken } = this.#options;
    const key = await toolListCacheKey(url, authToken);
    const cached = getCachedTools(key);
    if (cached) return cached;
    const ttl = this.#options.listCacheTtlMs ?? 60_000;
    const recent = getRecentFailure(key);
    if (recent) throw new Error(`${recent} (failed moments ago; not retried yet)`);
    const bound = withTimeout(signal, this.#timeoutMs);
    try {
      const tools = await this.#session.run((client) => listAll(client, bound.signal), bound.signal);
      setCachedTools(key, tools, ttl);
      return tools;
    } catch (error) {
      const why = bound.timedOut()
        ? `no answer within ${this.#timeoutMs} ms`
        : describeMcpError(error, this.#redact);
      const message = `Could not list the MCP server's tools: ${why}`;
      if (!signal?.aborted) setRecentFailure(key, message, ttl);
      throw new Error(message);
    }
  }
}

function redactOptional(redactor: Redactor, text: string | undefined): string | undefined {
  return text === undefined ? undefined : redactor.redact(text);
}

async function listAll(client: Client, signal: AbortSignal): Promise<ServerTool[]> {
  const tools: ServerTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const result = await client.listTools(cursor ? { cursor } : undefined, { signal });
    for (const t of result.tools) {
      tools.push({
        name: t.name,
        title: t.title,
        description: t.description,
        inputSchema: { ...t.inputSchema },
        ...(t.annotations?.readOnlyHint !== undefined ? { readOnly: t.annotations.readOnlyHint } : {}),
      });
    }
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

/** The model's argument JSON as an object, or a message saying why not. */
function parseArguments(json: string): Record<string, unknown> | string {
  if (json.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return `malformed JSON (${error instanceof Error ? error.message : "parse error"})`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "expected a JSON object";
  return value as Record<string, unknown>;
}

/** The input schema as an object schema with `properties`, as the chat-completions API wants. */
function objectSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(schema ?? {});
  out.type = "object";
  const props = out.properties;
  if (props === null || typeof props !== "object" || Array.isArray(props)) out.properties = {};
  return out;
}
