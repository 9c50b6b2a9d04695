/**
 * Opens one MCP client connection: Streamable HTTP first, the legacy HTTP+SSE transport when the
 * server answers the first POST with a 4xx (the spec's backwards-compatibility rule). Runs in
 * workerd and Node alike: web fetch only, and the Cloudflare-Worker JSON Schema validator (the
 * SDK's default Ajv one generates code from strings, which workerd forbids).
 *
 * Every request goes through the upstream fetch (src/upstream/safe-fetch.ts): a redirect is refused
 * (an error naming MCP_SERVER_URL, the token never follows it), a response body is bounded
 * (MAX_RESPONSE_BYTES) and an event stream is passed to the SDK's SSE parser in whole lines only
 * (a tool result of several MiB in one SSE line no longer costs seconds of CPU). When a body is
 * refused, the requests it carried fail at once with that error: the SDK would otherwise wait for an
 * answer that never comes (until the call's timeout).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { ErrorCode, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { safeFetch, type UpstreamError } from "../upstream/safe-fetch";
import { httpStatusOf } from "./errors";
import { raceSignal } from "./signals";

export type TransportKind = "streamable-http" | "sse";

export interface ConnectOptions {
  url: string;
  authToken?: string;
  fetch?: typeof fetch;
  /** "auto" (default): Streamable HTTP, falling back to legacy SSE on a 4xx during connect. */
  transport?: TransportKind | "auto";
  signal?: AbortSignal;
  clientInfo?: { name: string; version: string };
}

export interface McpConnection {
  client: Client;
  kind: TransportKind;
  /** The Streamable HTTP session id, when the server gave one. */
  sessionId(): string | undefined;
  /** Ends the session (a DELETE, best effort and bounded) and closes the transport. */
  close(): Promise<void>;
  /**
   * Why the connection broke, when it did because we refused a body that every answer comes on
   * (the legacy transport's event stream): the connection is closed and must not be reused.
   */
  fault(): UpstreamError | undefined;
}

/** Longest response body read from an MCP server (one JSON answer, one POST's event stream, or the legacy session stream). */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Which transport worked per URL: plain data, shared across requests, so later chats skip the probe. */
const knownKinds = new Map<string, TransportKind>();
const KNOWN_KINDS_MAX = 64;
const TERMINATE_TIMEOUT_MS = 2_000;

export async function connectMcp(options: ConnectOptions): Promise<McpConnection> {
  const wanted = options.transport ?? "auto";
  const kind = wanted === "auto" ? (knownKinds.get(options.url) ?? "streamable-http") : wanted;
  if (kind === "sse") {
    try {
      return remember(options.url, await open("sse", options));
    } catch (error) {
      knownKinds.delete(options.url); // the server may have moved on: probe afresh next time
      throw error;
    }
  }
  try {
    return remember(options.url, await open("streamable-http", options));
  } catch (error) {
    const status = httpStatusOf(error);
    const legacy = status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403;
    if (wanted !== "auto" || !legacy || options.signal?.aborted) throw error;
    return remember(options.url, await open("sse", options));
  }
}

async function open(kind: TransportKind, options: ConnectOptions): Promise<McpConnection> {
  const url = new URL(options.url);
  let fault: UpstreamError | undefined;
  const upstreamFetch = safeFetch({
    upstream: "The MCP server",
    setting: "MCP_SERVER_URL",
    maxBodyBytes: MAX_RESPONSE_BYTES,
    // Called as a plain function: workerd rejects a fetch invoked with another object as `this`.
    fetch: options.fetch ? (input, init) => options.fetch!(input, init) : undefined,
    onBodyRefused(error, init) {
      const ids = requestIds(init?.body);
      if (ids.length) {
        // The answer to these requests was on the refused body: answer them with the error, on the
        // server's behalf, so the calls fail now (describeMcpError finds the error in `data`).
        for (const id of ids) {
          const answer: JSONRPCMessage = { jsonrpc: "2.0", id, error: { code: ErrorCode.InternalError, message: error.message, data: error } };
          transport.onmessage?.(answer);
        }
        return;
      }
      // The legacy transport's event stream, which every answer comes on: the connection is over.
      fault = error;
      client.close().catch(() => {});
    },
  });
  const requestInit: RequestInit = options.authToken
    ? { headers: { Authorization: `Bearer ${options.authToken}` } }
    : {};
  const transport =
    kind === "sse"
      ? new SSEClientTransport(url, { fetch: upstreamFetch, requestInit })
      : new StreamableHTTPClientTransport(url, { fetch: withoutStandaloneStream(upstreamFetch), requestInit });
  const client = new Client(options.clientInfo ?? { name: "chatapi", version: "0.1.0" }, {
    capabilities: {},
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
  });
  const connectOptions: RequestOptions = { signal: options.signal };
  try {
    await raceSignal(client.connect(transport, connectOptions), options.signal);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  return {
    client,
    kind,
    sessionId: () => (transport instanceof StreamableHTTPClientTransport ? transport.sessionId : undefined),
    async close() {
      if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
        const bound = AbortSignal.timeout(TERMINATE_TIMEOUT_MS);
        await raceSignal(transport.terminateSession(), bound).catch(() => {});
      }
      await client.close().catch(() => {});
    },
    fault: () => fault,
  };
}

/** The ids of the JSON-RPC requests in a POST body (a message or a batch). */
function requestIds(body: unknown): (string | number)[] {
  if (typeof body !== "string") return [];
  try {
    const parsed: unknown = JSON.parse(body);
    return (Array.isArray(parsed) ? parsed : [parsed])
      .filter((m): m is { id: string | number } => !!m && typeof m === "object" && "method" in m && (typeof m.id === "string" || typeof m.id === "number"))
      .map((m) => m.id);
  } catch {
    return [];
  }
}

/**
 * Streamable HTTP clients may open a standing GET stream for server-initiated messages. A chat
 * needs none (progress and results come on each POST's own response), and on Workers every
 * connection and subrequest counts: answer that GET locally with 405, which the spec lets a
 * server say ("no standalone stream here").
 */
function withoutStandaloneStream(base: typeof fetch): typeof fetch {
  return (input, init) => {
    if ((init?.method ?? "GET").toUpperCase() === "GET") {
      return Promise.resolve(new Response(null, { status: 405, statusText: "Method Not Allowed" }));
    }
    return base(input, init);
  };
}

function remember(url: string, connection: McpConnection): McpConnection {
  if (!knownKinds.has(url) && knownKinds.size >= KNOWN_KINDS_MAX) knownKinds.clear();
  knownKinds.set(url, connection.kind);
  return connection;
}

/** Forget which transport a URL speaks (tests, or after a server changed). */
export function forgetTransportKinds(): void {
  knownKinds.clear();
}
