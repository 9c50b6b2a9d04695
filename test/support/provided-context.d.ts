/** What test/support/global-setup.ts provides to every test, Node and workerd alike. */
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    fakeAzureUrl: string;
    /** The ModelScope mock MCP server (tools/fakes/mock-mcp-server.ts): Streamable HTTP and legacy SSE. */
    mockMcpUrl: string;
    mockMcpSseUrl: string;
    /** @modelcontextprotocol/server-everything from npm, a real third-party server. */
    everythingMcpUrl: string;
    everythingMcpSseUrl: string;
    /** A misbehaving MCP server (test/support/hostile-mcp.ts): huge lines, redirects, token echoes. */
    hostileMcpUrl: string;
    /** The Worker's deployable bundle, built once for the run (tools/build/worker-bundle.ts): `startWorker({ bundle })`. */
    workerBundle: string;
    /** The CLI (scripts/chat.ts) as one ES module for plain node, built once for the run (tools/cli/cli-bundle.ts). */
    cliBundle: string;
  }
}
