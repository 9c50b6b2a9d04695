/**
 * Short, safe messages for what went wrong talking to an MCP server: what the model reads and the
 * step shows. Never a configured secret (the server's text goes through the config's redactor
 * before it is cut), never a bearer token, never a long server body.
 */
import { SseError } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { Redactor } from "../security/redact";
import { UpstreamError } from "../upstream/safe-fetch";

const DETAIL_MAX = 300;

/** HTTP status of a transport error (Streamable HTTP or legacy SSE), if it carries one. */
export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof StreamableHTTPError || error instanceof SseError) {
    const code = (error as { code?: number }).code;
    return typeof code === "number" && code >= 100 && code <= 599 ? code : undefined;
  }
  return undefined;
}

/** True for an aborted or timed-out signal's reason. */
export function isAbort(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === "AbortError" || name === "TimeoutError";
}

/**
 * The answer we refused (a redirect, a body too large: src/upstream/safe-fetch.ts), however the SDK
 * passed it on: as is, as the `data` of the JSON-RPC error src/mcp/connect.ts answers the request
 * with, or as a cause.
 */
export function refusedAnswerOf(error: unknown): UpstreamError | undefined {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if (e instanceof UpstreamError) return e;
    if (e instanceof McpError && e.data instanceof UpstreamError) return e.data;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `secrets`: the config's redactor, or the secrets themselves (e.g. the token). */
export function describeMcpError(error: unknown, secrets: Redactor | readonly (string | undefined)[] = []): string {
  const redactor = secrets instanceof Redactor ? secrets : new Redactor(secrets);
  return scrubBearer(redactor.redact(describe(error, redactor)));
}

function describe(error: unknown, redactor: Redactor): string {
  const refused = refusedAnswerOf(error);
  if (refused) return refused.message;
  const detail = (text: string) => cutDetail(redactor.redact(text));
  const status = httpStatusOf(error);
  if (status !== undefined) {
    if (status === 401 || status === 403) {
      return `MCP server refused the request (HTTP ${status}): check MCP_AUTH_TOKEN`;
    }
    return `MCP server answered HTTP ${status}${detail(stripPrefix(messageOf(error)))}`;
  }
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return "MCP request timed out";
    if (error.code === ErrorCode.ConnectionClosed) return "MCP server closed the connection";
    return `MCP server error ${error.code}${detail(error.message.replace(/^MCP error -?\d+:\s*/, ""))}`;
  }
  if (isAbort(error)) {
    return (error as { name?: string }).name === "TimeoutError" ? "MCP request timed out" : "MCP request cancelled";
  }
  const network = networkCause(error);
  if (network) return `MCP server unreachable (${network})`;
  return `MCP request failed${detail(messageOf(error))}`;
}

/** A recognisable network failure: Node's fetch puts the system error in `cause`; workerd says so in the message. */
function networkCause(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code === "ECONNREFUSED" ? "connection refused" : code;
  const message = messageOf(error);
  if (/fetch failed|network connection lost|connection refused|failed to fetch|ECONNREFUSED|internal error; reference/i.test(message)) {
    return /refused/i.test(message + (cause?.message ?? "")) ? "connection refused" : "network error";
  }
  if (error instanceof SseError) return "event stream failed";
  return undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : "";
}

function stripPrefix(message: string): string {
  return message.replace(/^(Streamable HTTP error|SSE error):\s*/, "").replace(/^Error POSTing to endpoint:\s*/, "");
}

function cutDetail(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  if (!oneLine || oneLine === "null") return "";
  return `: ${oneLine.length > DETAIL_MAX ? `${oneLine.slice(0, DETAIL_MAX)}…` : oneLine}`;
}

/** Any bearer token, configured or not (e.g. one the server made up or got elsewhere). */
function scrubBearer(text: string): string {
  return text.replace(/Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]+/g, "Bearer [redacted]");
}
