/**
 * The stack `npm start` runs, for end-to-end tests of the page and the CLI: the demo upstream,
 * the ModelScope mock MCP server and the real `wrangler dev` pointed at both.
 */
import { startDemoUpstream } from "../../scripts/demo-upstream";
import { startMockMcpServer } from "../../scripts/mock-mcp-server";
import { startWranglerDev } from "./wrangler-dev";

export interface DemoStack {
  /** The Worker, e.g. http://127.0.0.1:PORT */
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startDemoStack(opts: { delayMs?: number; vars?: Record<string, string> } = {}): Promise<DemoStack> {
  const [demo, mcp] = await Promise.all([startDemoUpstream({ delayMs: opts.delayMs }), startMockMcpServer({ port: 0 })]);
  try {
    const dev = await startWranglerDev({
      AZURE_OPENAI_ENDPOINT: demo.url,
      AZURE_OPENAI_API_KEY: "local-demo-key",
      DEMO_UPSTREAM: "true",
      MCP_SERVER_URL: mcp.url,
      ALLOW_ANONYMOUS: "true",
      ...opts.vars,
    });
    return {
      url: dev.url,
      output: dev.output,
      async stop() {
        await dev.stop();
        await Promise.all([demo.close(), mcp.close()]);
      },
    };
  } catch (error) {
    await Promise.all([demo.close(), mcp.close()]);
    throw error;
  }
}
