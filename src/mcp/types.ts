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
  /** The tool's MCP annotations say `readOnlyHint: true`. */
  readOnly?: boolean;
  /** The server's label (`MCP_SERVERS`), set by the ToolSet. */
  server?: string;
  /** A call waits for a person's approval (the server's `approval` policy), set by the ToolSet. */
  approval?: boolean;
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

/** One server's listing, as the run reports it: its tools, or why there are none. */
export interface ServerListing {
  server: string;
  tools: ToolSpec[];
  error?: string;
}

/** Every configured MCP server, as the chat run sees them: listed in parallel, called by the names offered. */
export interface ToolSet {
  readonly servers: readonly string[];
  /** One listing per server, in `servers` order; a failing server has `error` and no tools. Never throws. */
  listTools(signal?: AbortSignal): Promise<ServerListing[]>;
  /** Calls a tool by the name offered to the model; never throws (see ToolSource.callTool). */
  callTool(name: string, argumentsJson: string, signal?: AbortSignal): Promise<ToolResult>;
  close?(): Promise<void>;
}
