/**
 * The MCP tool source, its code (src/mcp/tool-source.ts and the MCP SDK under it) loaded when a
 * chat first uses it: a Worker without MCP servers never evaluates it, one with them only when a
 * chat asks for the tool list. esbuild keeps it in the bundle and evaluates it on that `import()`.
 */
import type { McpToolSourceOptions } from "./tool-source";
import type { ToolSource } from "./types";

let code: Promise<typeof import("./tool-source")> | undefined;

export function lazyMcpToolSource(options: McpToolSourceOptions): ToolSource {
  let source: Promise<ToolSource> | undefined;
  const load = () => (source ??= (code ??= import("./tool-source")).then((m) => m.createMcpToolSource(options)));
  return {
    listTools: async (signal) => (await load()).listTools(signal),
    callTool: async (name, argumentsJson, signal) => (await load()).callTool(name, argumentsJson, signal),
    // Never loaded: no session was opened, nothing to close.
    close: async () => {
      if (source) await (await source).close?.();
    },
  };
}
