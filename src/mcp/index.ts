/** The MCP side of the chat: a ToolSource over a remote MCP server (see ./types). */
export { createMcpToolSource, type McpToolSourceOptions } from "./tool-source";
export type { ToolResult, ToolSource, ToolSpec } from "./types";
