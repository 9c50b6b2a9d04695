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
    /** Conversations kept by the service: characters of stored text the model is sent at most; days an untouched one is kept. */
    HISTORY_MAX_CHARS?: string;
    HISTORY_TTL_DAYS?: string;
    /** Several MCP servers, a JSON list (src/mcp/servers-config.ts); their tokens in the secrets they name. */
    MCP_SERVERS?: string;
    APPROVAL_TIMEOUT_MS?: string;
    /** The key of an OpenAI-compatible upstream (`UPSTREAM=openai`), sent as `Authorization: Bearer`. */
    OPENAI_API_KEY?: string;
  }
}
