/**
 * A misbehaving MCP server for the hardening tests (node:http, 127.0.0.1). Its JSON-RPC is written by
 * hand so every byte on the wire is the test's: one SSE line of several MiB, a redirect, a tool that
 * repeats the bearer token it was sent. test/support/global-setup.ts starts it once and provides its
 * base URL as `hostileMcpUrl`.
 *
 * Streamable HTTP at `/{mode}/mcp`:
 *   sse        POSTs with a request are answered as `text/event-stream` (`event: message` + one `data:` line)
 *   json       answered as `application/json`
 *   redirect   every request gets a 307 to `/sse/mcp` on the same origin (a client must not follow it)
 *   listfail   `tools/list` fails with a JSON-RPC error that repeats the token
 *   names      lists the tools named in `?tools=a,b__c` (no annotations); each call answers
 *              `ran {tool} on {path and query}`, so a test sees which server a call reached
 *   many       lists `?count=N` tools `t0` … (default 300), in pages of 100
 * Legacy HTTP+SSE at `/legacy/sse` (endpoint event → `/legacy/messages?session=ID`; answers on the GET stream).
 *
 * Tools:
 *   big {bytes}       a text result of `bytes` characters (one JSON-RPC message, one SSE line)
 *   echo_token        a text result repeating the Authorization header it received
 *   fail_token        an `isError` result repeating it
 *   error_token       a JSON-RPC error whose message repeats it
 *   hello             "hello" (a sibling call that should not be hurt by another call's failure)
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HostileMcp {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  close(): Promise<void>;
}

interface RpcMessage {
  jsonrpc: "2.0";
  id?: number | string;
  method?: string;
  params?: { name?: string; arguments?: Record<string, unknown>; protocolVersion?: string };
}

const TOOLS = ["big", "echo_token", "fail_token", "error_token", "hello"].map((name) => ({
  name,
  description: `hostile test tool ${name}`,
  inputSchema: { type: "object", properties: name === "big" ? { bytes: { type: "number" } } : {} },
}));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve(Buffer.concat(chunks).toString("utf8"))).on("error", reject);
  });
}

/** The JSON-RPC answer to one request (undefined for notifications). */
function answer(message: RpcMessage, mode: string, authorization: string, url: URL): object | undefined {
  if (message.id === undefined) return undefined;
  const reply = (result: object) => ({ jsonrpc: "2.0", id: message.id, result });
  const fail = (code: number, text: string) => ({ jsonrpc: "2.0", id: message.id, error: { code, message: text } });
  switch (message.method) {
    case "initialize":
      return reply({ protocolVersion: message.params?.protocolVersion ?? "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "hostile", version: "1.0.0" } });
    case "ping":
      return reply({});
    case "tools/list":
      if (mode === "listfail") return fail(-32603, `listing refused for credentials ${authorization}`);
      if (mode === "names") return reply({ tools: (url.searchParams.get("tools") ?? "").split(",").filter(Boolean).map(namedTool) });
      if (mode === "many") {
        const count = Number(url.searchParams.get("count") ?? 300);
        const from = Number((message.params as { cursor?: string } | undefined)?.cursor ?? 0);
        const tools = Array.from({ length: Math.max(0, Math.min(100, count - from)) }, (_, i) => namedTool(`t${from + i}`));
        return reply({ tools, ...(from + 100 < count ? { nextCursor: String(from + 100) } : {}) });
      }
      return reply({ tools: TOOLS });
    case "tools/call": {
      if (mode === "names" || mode === "many") {
        return reply({ content: [{ type: "text", text: `ran ${message.params?.name} on ${url.pathname}${url.search}` }] });
      }
      const args = message.params?.arguments ?? {};
      switch (message.params?.name) {
        case "big":
          return reply({ content: [{ type: "text", text: "x".repeat(Number(args.bytes) || 0) }] });
        case "echo_token":
          return reply({ content: [{ type: "text", text: `You called me with "${authorization}". Have a nice day.` }] });
        case "fail_token":
          return reply({ isError: true, content: [{ type: "text", text: `Token ${authorization.replace(/^Bearer\s+/i, "")} is not allowed here.` }] });
        case "error_token":
          return fail(-32603, `internal failure while checking ${authorization}`);
        case "hello":
          return reply({ content: [{ type: "text", text: "hello" }] });
        default:
          return fail(-32602, `Unknown tool ${message.params?.name}`);
      }
    }
    default:
      return fail(-32601, `Method not found: ${message.method}`);
  }
}

const namedTool = (name: string) => ({ name, description: `test tool ${name}`, inputSchema: { type: "object", properties: {} } });

const sseEvent = (value: object) => `event: message\ndata: ${JSON.stringify(value)}\n\n`;

export async function startHostileMcp(): Promise<HostileMcp> {
  const legacy = new Map<string, ServerResponse>();
  let sessions = 0;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const authorization = String(req.headers.authorization ?? "");

    if (url.pathname === "/legacy/sse" && req.method === "GET") {
      const id = String(++sessions);
      legacy.set(id, res);
      res.on("close", () => legacy.delete(id));
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(`event: endpoint\ndata: /legacy/messages?session=${id}\n\n`);
      return;
    }
    if (url.pathname === "/legacy/messages" && req.method === "POST") {
      const stream = legacy.get(url.searchParams.get("session") ?? "");
      const message = JSON.parse(await readBody(req)) as RpcMessage;
      if (!stream) return void res.writeHead(404).end("no such session");
      res.writeHead(202).end("Accepted");
      const reply = answer(message, "legacy", authorization, url);
      if (reply) stream.write(sseEvent(reply));
      return;
    }

    const match = /^\/(sse|json|redirect|listfail|names|many)\/mcp$/.exec(url.pathname);
    if (!match) return void res.writeHead(404).end("not found");
    const mode = match[1];
    if (mode === "redirect") {
      await readBody(req);
      return void res.writeHead(307, { location: "/sse/mcp" }).end();
    }
    if (req.method === "GET") return void res.writeHead(405).end();
    if (req.method === "DELETE") return void res.writeHead(200).end();
    if (req.method !== "POST") return void res.writeHead(405).end();
    const message = JSON.parse(await readBody(req)) as RpcMessage;
    const reply = answer(message, mode, authorization, url);
    const headers: Record<string, string> = message.method === "initialize" ? { "mcp-session-id": `hostile-${++sessions}` } : {};
    if (!reply) return void res.writeHead(202, headers).end();
    if (mode === "json") {
      res.writeHead(200, { ...headers, "content-type": "application/json" }).end(JSON.stringify(reply));
    } else {
      res.writeHead(200, { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache" }).end(sseEvent(reply));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of legacy.values()) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
