/**
 * Opens one MCP client connection: Streamable HTTP first, the legacy HTTP+SSE transport when the
 * server answers the first POST with a 4xx (the spec's backwards-compatibility rule). Runs in
 * workerd and Node alike: web fetch only, and the Cloudflare-Worker JSON Schema validator (the
 * SDK's default Ajv one generates code from strings, which workerd forbids).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
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
}

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
  const baseFetch = options.fetch ?? fetch;
  // Called as a plain function: workerd rejects a fetch invoked with another object as `this`.
  const plainFetch: typeof fetch = (input, init) => baseFetch(input, init);
  const requestInit: RequestInit = options.authToken
    ? { headers: { Authorization: `Bearer ${options.authToken}` } }
    : {};
  const transport =
    kind === "sse"
      ? new SSEClientTransport(url, { fetch: plainFetch, requestInit })
      : new StreamableHTTPClientTransport(url, { fetch: withoutStandaloneStream(plainFetch), requestInit });
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
  };
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
