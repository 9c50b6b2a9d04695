/**
 * The one fetch every upstream call goes through (Azure OpenAI in src/chat/upstream.ts, MCP servers
 * in src/mcp/connect.ts).
 *
 * - Redirects are never followed (`redirect: "manual"`): a 3xx would carry our `api-key` or bearer
 *   token to wherever it points, and a 307 would resend the whole prompt. It becomes an
 *   `UpstreamError` that names the setting to check.
 * - With `maxBodyBytes`, a response body longer than that errors (an `UpstreamError`) instead of
 *   being read to the end. A `text/event-stream` body is also re-chunked at line ends, a line at
 *   most `maxLineBytes` long: SSE parsers (eventsource-parser, used by the MCP SDK's transports)
 *   re-scan a pending incomplete line on every chunk, so a long line fed piece by piece costs
 *   quadratic time. Fed only complete lines, they stay linear.
 */
import { size } from "../errors";

export type UpstreamErrorKind = "redirect" | "too-large";

/** An upstream answer we refused. Its message is safe to show: it names a setting, never a value. */
export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    /** The HTTP status of a refused redirect. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

export interface SafeFetchOptions {
  /** Who answers, as messages name it: "Azure OpenAI", "The MCP server". */
  upstream: string;
  /** The setting that says where the upstream is, named when it redirects: "AZURE_OPENAI_ENDPOINT". */
  setting: string;
  /** Longest response body read; longer errors. Default: no bound (the body is passed on untouched). */
  maxBodyBytes?: number;
  /** Longest line of a `text/event-stream` body (default `maxBodyBytes`); needs `maxBodyBytes`. */
  maxLineBytes?: number;
  /** The fetch to wrap (default: the global one, called unbound as Workers require). */
  fetch?: typeof fetch;
  /** Told when a body was refused as too large, with the request that asked for it. */
  onBodyRefused?(error: UpstreamError, init: RequestInit | undefined): void;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export function safeFetch(options: SafeFetchOptions): typeof fetch {
  const base = options.fetch;
  return async (input, init) => {
    const request = { ...init, redirect: "manual" as const };
    const response = await (base ? base(input, request) : fetch(input, request));
    if ((response.status >= 300 && response.status < 400) || (response.type as string) === "opaqueredirect") {
      await response.body?.cancel().catch(() => {});
      const status = response.status || undefined;
      throw new UpstreamError(
        "redirect",
        `${options.upstream} answered with a redirect${status ? ` (HTTP ${status})` : ""}, which is not followed: check ${options.setting}`,
        status,
      );
    }
    if (options.maxBodyBytes === undefined || !response.body || NULL_BODY_STATUSES.has(response.status)) return response;
    return boundBody(response, options, init);
  };
}

function boundBody(response: Response, options: SafeFetchOptions, init: RequestInit | undefined): Response {
  const maxBody = options.maxBodyBytes!;
  const maxLine = options.maxLineBytes ?? maxBody;
  const eventStream = /^\s*text\/event-stream\s*(?:;|$)/i.test(response.headers.get("content-type") ?? "");
  const reader = response.body!.getReader();
  let total = 0;
  // The current line's pieces (event streams): passed on once its end arrives.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;

  const refuse = (controller: ReadableStreamDefaultController<Uint8Array>, what: string, max: number) => {
    const error = new UpstreamError("too-large", `${options.upstream} sent ${what} larger than the ${size(max)} allowed`);
    reader.cancel(error).catch(() => {});
    pending = [];
    controller.error(error);
    options.onBodyRefused?.(error, init);
  };

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          if (pendingBytes) controller.enqueue(concat(pending, pendingBytes));
          pending = [];
          controller.close();
          return;
        }
        total += value.byteLength;
        if (total > maxBody) return refuse(controller, "a response", maxBody);
        if (!eventStream) {
          controller.enqueue(value);
          return;
        }
        const end = lastLineEnd(value);
        if (end < 0) {
          pending.push(value);
          pendingBytes += value.byteLength;
          if (pendingBytes > maxLine) return refuse(controller, "an event line", maxLine);
          continue;
        }
        if (pendingBytes + value.byteLength > maxLine && longestLine(pendingBytes, value) > maxLine) {
          return refuse(controller, "an event line", maxLine);
        }
        const complete = value.subarray(0, end + 1);
        const out = pendingBytes ? concat([...pending, complete], pendingBytes + complete.byteLength) : complete;
        const rest = value.subarray(end + 1);
        pending = rest.byteLength ? [rest] : [];
        pendingBytes = rest.byteLength;
        controller.enqueue(out);
        return;
      }
    },
    cancel(reason) {
      pending = [];
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

const LF = 0x0a;
const CR = 0x0d;

/** Index of the last CR or LF in `bytes`, or -1. */
function lastLineEnd(bytes: Uint8Array): number {
  return Math.max(bytes.lastIndexOf(LF), bytes.lastIndexOf(CR));
}

/** The longest line in `bytes`, the first one continuing `carried` bytes from before. */
function longestLine(carried: number, bytes: Uint8Array): number {
  let longest = 0;
  let run = carried;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === LF || b === CR) {
      if (run > longest) longest = run;
      run = 0;
    } else {
      run++;
    }
  }
  return Math.max(longest, run);
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
