/**
 * Mock ModelScope MCP server for local work and tests (fixture data, not the real ModelScope).
 *
 *   npm run mock:mcp -- --port 3000 [--host 127.0.0.1] [--token SECRET]   (scripts/mock-mcp-server.ts)
 *
 * Streamable HTTP (stateful sessions) at /mcp, and the legacy HTTP+SSE transport at /sse (with
 * its messages posted to /messages), so clients' fallback can be tested. Also importable:
 * `startMockMcpServer({ port: 0 })` runs it in-process.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { readBody } from "../http";
import { createModelScopeMcpServer } from "./mock-mcp-tools";

export interface MockMcpServerOptions {
  port?: number;
  host?: string;
  /** When set, every request must carry `Authorization: Bearer <token>` (else 401). */
  token?: string;
}

export interface MockMcpServer {
  /** The Streamable HTTP endpoint, …/mcp. */
  url: string;
  /** The legacy SSE endpoint, …/sse. */
  sseUrl: string;
  /** Forgets every Streamable HTTP session, as a restarted server would: their next request gets 404. */
  expireSessions(): void;
  /** Open Streamable HTTP sessions. */
  sessionCount(): number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport | SSEServerTransport;
  server: McpServer;
}

export async function startMockMcpServer(options: MockMcpServerOptions = {}): Promise<MockMcpServer> {
  const streamable = new Map<string, Session>();
  const legacy = new Map<string, Session>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      return sendJson(res, 401, { jsonrpc: "2.0", error: { code: -32001, message: "Unauthorized" }, id: null });
    }
    if (url.pathname === "/mcp") return handleStreamable(req, res, streamable);
    if (url.pathname === "/sse" && req.method === "GET") return openLegacy(res, legacy);
    if (url.pathname === "/messages" && req.method === "POST") {
      const session = legacy.get(url.searchParams.get("sessionId") ?? "");
      if (!session) return sendJson(res, 404, { error: "Unknown sessionId" });
      return (session.transport as SSEServerTransport).handlePostMessage(req, res);
    }
    if (url.pathname === "/health") return sendJson(res, 200, { status: "ok" });
    sendJson(res, url.pathname === "/sse" ? 405 : 404, { error: "Not found" });
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error) => {
      console.error("mock MCP server:", error);
      if (!res.headersSent) sendJson(res, 500, { jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: null });
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 3000, options.host ?? "127.0.0.1", resolve);
  });
  const { port } = http.address() as AddressInfo;
  const host = options.host && options.host !== "0.0.0.0" && options.host !== "::" ? options.host : "127.0.0.1";
  const base = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  const closeAll = async (sessions: Map<string, Session>) => {
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.all(open.map((s) => s.server.close().catch(() => {})));
  };
  return {
    url: `${base}/mcp`,
    sseUrl: `${base}/sse`,
    expireSessions: () => void closeAll(streamable),
    sessionCount: () => streamable.size,
    async close() {
      await Promise.all([closeAll(streamable), closeAll(legacy)]);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function handleStreamable(req: IncomingMessage, res: ServerResponse, sessions: Map<string, Session>) {
  const sessionId = req.headers["mcp-session-id"];
  const body = req.method === "POST" ? await readJson(req) : undefined;
  if (typeof sessionId === "string") {
    const session = sessions.get(sessionId);
    // The spec's answer to an unknown or expired session: 404, and the client starts a new one.
    if (!session) return sendJson(res, 404, { jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null });
    return (session.transport as StreamableHTTPServerTransport).handleRequest(req, res, body);
  }
  if (req.method !== "POST" || !isInitializeRequest(body)) {
    return sendJson(res, 400, { jsonrpc: "2.0", error: { code: -32000, message: "Bad Request: no valid session ID" }, id: null });
  }
  const server = createModelScopeMcpServer();
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
    onsessionclosed: (id) => void sessions.delete(id),
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

async function openLegacy(res: ServerResponse, sessions: Map<string, Session>) {
  const server = createModelScopeMcpServer();
  const transport = new SSEServerTransport("/messages", res);
  sessions.set(transport.sessionId, { transport, server });
  res.on("close", () => {
    sessions.delete(transport.sessionId);
    void server.close().catch(() => {});
  });
  await server.connect(transport);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}
