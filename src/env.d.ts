/** Secrets and optional settings that wrangler.toml does not declare (see .dev.vars.example). */
declare namespace Cloudflare {
  interface Env {
    AZURE_OPENAI_API_KEY?: string;
    MCP_AUTH_TOKEN?: string;
    API_KEYS?: string;
    /** Set by `npm start` when it runs the local demo upstream: step texts say so. */
    DEMO_UPSTREAM?: string;
    UPSTREAM_MAX_RETRIES?: string;
    UPSTREAM_ROUND_TIMEOUT_MS?: string;
    UPSTREAM_RETRY_MAX_WAIT_MS?: string;
    MAX_TOOL_ROUNDS?: string;
    MCP_TOOL_ALLOWLIST?: string;
    MCP_TOOL_TIMEOUT_MS?: string;
    MCP_TOOLS_CACHE_TTL_MS?: string;
    MCP_RESULT_MAX_CHARS?: string;
    /** Request limits (src/security): body bytes, characters per text, messages per query. */
    MAX_BODY_BYTES?: string;
    MAX_TEXT_CHARS?: string;
    MAX_QUERY_ITEMS?: string;
    RATE_LIMIT_RETRY_AFTER_S?: string;
    MAX_ANSWER_CHARS?: string;
    /** Streams (src/stream): keep-alive period, disconnect probe period, bytes a client may fall behind. */
    HEARTBEAT_MS?: string;
    DISCONNECT_PROBE_MS?: string;
    STREAM_BUFFER_BYTES?: string;
    RESUME_TTL_S?: string;
    /** Several MCP servers, a JSON list (src/mcp/servers-config.ts); their tokens in the secrets they name. */
    MCP_SERVERS?: string;
    APPROVAL_TIMEOUT_MS?: string;
    /** The assistant's settings (src/chat/model-params.ts): the operator's instructions and model parameters. */
    SYSTEM_PROMPT?: string;
    CLIENT_SYSTEM?: string;
    MODEL_PARAMS?: string;
    CLIENT_OPTIONS?: string;
    /** `azure` (default) or `openai`: any OpenAI-compatible chat-completions endpoint (src/upstream). */
    UPSTREAM?: string;
    OPENAI_BASE_URL?: string;
    OPENAI_API_KEY?: string;
    OPENAI_MODEL?: string;
  }
}
