/**
 * The response formats of the chat endpoints, in one table of plain data read by negotiation, the
 * response, the request log and the typed client: the media type `Accept` names, the response's
 * `Content-Type`, and whether it is streamed (each streamed format's encoder: ./encoders.ts).
 */
import { MEDIA_TYPES } from "./media-types";

interface FormatSpec {
  mediaType: string;
  contentType: string;
  /** Events as they happen (an encoder in ./encoders.ts), or the envelope at the end. */
  streamed: boolean;
  /** Chosen by `Accept` on /api/chat (the UI dialect has endpoints of its own). */
  negotiable: boolean;
  /** Response headers the format's clients look for. */
  headers?: Record<string, string>;
}

export const FORMATS = {
  ndjson: { mediaType: MEDIA_TYPES.ndjson, contentType: "application/x-ndjson; charset=utf-8", streamed: true, negotiable: true },
  sse: { mediaType: MEDIA_TYPES.sse, contentType: "text/event-stream; charset=utf-8", streamed: true, negotiable: true },
  json: { mediaType: MEDIA_TYPES.json, contentType: "application/json", streamed: false, negotiable: true },
  /** The Vercel AI SDK's UI message stream (src/ui). */
  ui: {
    mediaType: MEDIA_TYPES.sse,
    contentType: "text/event-stream; charset=utf-8",
    streamed: true,
    negotiable: false,
    headers: { "x-vercel-ai-ui-message-stream": "v1" },
  },
} as const satisfies Record<string, FormatSpec>;

export type Format = keyof typeof FORMATS;
/** The streamed formats: those whose `streamed` is true. */
export type StreamFormat = { [F in Format]: (typeof FORMATS)[F]["streamed"] extends true ? F : never }[Format];

/** The formats `Accept` chooses among, in negotiation order: among equal q-values the first wins (NDJSON). */
export const FORMAT_NAMES = (Object.keys(FORMATS) as Format[]).filter((f) => FORMATS[f].negotiable);

/** The headers of a streamed response in this format. */
export function streamHeaders(format: StreamFormat, requestId: string): Record<string, string> {
  return {
    "Content-Type": FORMATS[format].contentType,
    // As SSE servers do. (`no-store` made Chromium report a stream read through `response.body`
    // as aborted although it was read to its end.) Nothing is shared: `private`.
    "Cache-Control": "private, no-cache",
    "X-Content-Type-Options": "nosniff",
    // Proxies such as nginx would otherwise hold the stream back.
    "X-Accel-Buffering": "no",
    "X-Request-Id": requestId,
    ...(FORMATS[format] as FormatSpec).headers,
  };
}

export function isStreamed(format: Format): format is StreamFormat {
  return FORMATS[format].streamed;
}
