/**
 * `npm run mock:mcp -- --port 3000 [--host 127.0.0.1] [--token SECRET]`: the ModelScope mock MCP
 * server (tools/fakes/mock-mcp-server.ts) on its own, until Ctrl-C. PORT and MOCK_MCP_TOKEN are the
 * defaults of --port and --token.
 */
import { startMockMcpServer } from "../tools/fakes/mock-mcp-server";

const value = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const port = Number(value("--port") ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${value("--port")}`);

const server = await startMockMcpServer({ port, host: value("--host") ?? "127.0.0.1", token: value("--token") ?? process.env.MOCK_MCP_TOKEN });
console.log(`Mock ModelScope MCP server (fixture data)\n  Streamable HTTP: ${server.url}\n  legacy SSE:      ${server.sseUrl}`);
const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
