/**
 * The one fetch every upstream call goes through (Azure OpenAI in src/chat/upstream.ts, MCP servers
 * in src/mcp/connect.ts).
 *
 * - Redirects are never followed (`redirect: "manual"`): a 3xx would carry our `api-key` or bearer
 *   token to wherever it points, and a 307 would resend the whole prompt. It becomes an
 *   `UpstreamError` that names the setting to check.
 * - With `maxBodyBytes`, a response body longer than that errors (an `UpstreamError`) instead of
 *   being read to the end. A `text/event-stream` body is also re-chunked at line ends, a line at
 *   most `maxLineBytes` long (src/upstream/line-splitter.ts): SSE parsers (eventsource-parser, used
 *   by the MCP SDK's transports) re-scan a pending incomplete line on every chunk, so a long line
 *   fed piece by piece costs quadratic time. Fed only complete lines, they stay linear.
 */
import { size } from "../errors";
import { BYTES, LineSplitter } from "./line-splitter";

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
  // Event streams: passed on in whole lines (src/upstream/line-splitter.ts).
  const lines = eventStream ? new LineSplitter(BYTES, { maxLine }, () => new Error("line too long")) : undefined;

  const refuse = (controller: ReadableStreamDefaultController<Uint8Array>, what: string, max: number) => {
    const error = new UpstreamError("too-large", `${options.upstream} sent ${what} larger than the ${size(max)} allowed`);
    reader.cancel(error).catch(() => {});
    lines?.rest();
    controller.error(error);
    options.onBodyRefused?.(error, init);
  };

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          const rest = lines?.rest();
          if (rest?.length) controller.enqueue(BYTES.join(rest.pieces, rest.length));
          controller.close();
          return;
        }
        total += value.byteLength;
        if (total > maxBody) return refuse(controller, "a response", maxBody);
        if (!lines) {
          controller.enqueue(value);
          return;
        }
        let complete: Uint8Array[] | undefined;
        try {
          complete = lines.cut(value);
        } catch {
          return refuse(controller, "an event line", maxLine);
        }
        if (!complete) continue;
        controller.enqueue(BYTES.join(complete, complete.reduce((sum, piece) => sum + piece.byteLength, 0)));
        return;
      }
    },
    cancel(reason) {
      lines?.rest();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
