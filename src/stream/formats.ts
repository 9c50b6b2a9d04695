/**
 * The response formats of the chat endpoints, in one table read by negotiation, the response, the
 * request log and the typed client: the media type `Accept` names, the response's
 * `Content-Type`, and for the streamed formats their encoder.
 */
import type { Encoder } from "./encoder";
import { MEDIA_TYPES } from "./media-types";
import { uiEncoder } from "../ui/ui-encoder";
import { ndjsonEncoder } from "./ndjson-encoder";
import { sseEncoder } from "./sse-encoder";

interface FormatSpec {
  mediaType: string;
  contentType: string;
  encoder: (() => Encoder) | undefined;
  /** Chosen by `Accept` on /api/chat (the UI dialect has endpoints of its own). */
  negotiable: boolean;
  /** Response headers the format's clients look for. */
  headers?: Record<string, string>;
}

export const FORMATS = {
  ndjson: { mediaType: MEDIA_TYPES.ndjson, contentType: "application/x-ndjson; charset=utf-8", encoder: ndjsonEncoder, negotiable: true },
  sse: { mediaType: MEDIA_TYPES.sse, contentType: "text/event-stream; charset=utf-8", encoder: sseEncoder, negotiable: true },
  json: { mediaType: MEDIA_TYPES.json, contentType: "application/json", encoder: undefined, negotiable: true },
  /** The Vercel AI SDK's UI message stream (src/ui). */
  ui: {
    mediaType: MEDIA_TYPES.sse,
    contentType: "text/event-stream; charset=utf-8",
    encoder: uiEncoder,
    negotiable: false,
    headers: { "x-vercel-ai-ui-message-stream": "v1" },
  },
} as const satisfies Record<string, FormatSpec>;

export type Format = keyof typeof FORMATS;
export type StreamFormat = Exclude<Format, "json">;

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
  return FORMATS[format].encoder !== undefined;
}
