/**
 * What the chat run needs from a tool source (src/chat/run.ts drives it). src/mcp/ implements it
 * over a remote MCP server; the run never sees MCP types.
 */

/** One tool as offered to the model: an OpenAI function definition plus where it came from. */
export interface ToolSpec {
  /** Valid for the chat-completions API (^[a-zA-Z0-9_-]{1,64}$) and unique within the list. */
  name: string;
  /** The tool's name on the MCP server. */
  serverName: string;
  description?: string;
  /** JSON Schema of the arguments, passed through from the server (an object schema). */
  parameters: Record<string, unknown>;
}

export interface ToolResult {
  /** false: the server was down, the call timed out, the tool said isError, arguments were invalid… */
  ok: boolean;
  /** What the model is sent as the tool message, and the step's observation (already cut to a bound). */
  text: string;
}

export interface ToolSource {
  /** Lists the offered tools (allowlist applied). Throws when the server can't be reached. */
  listTools(signal?: AbortSignal): Promise<ToolSpec[]>;
  /**
   * Calls one tool by its API name with the model's raw argument JSON. Never throws for tool or
   * server failures: those come back as `{ ok: false, text }` for the model to read.
   */
  callTool(name: string, argumentsJson: string, signal?: AbortSignal): Promise<ToolResult>;
  close?(): Promise<void>;
}
