/**
 * The response formats of the chat endpoints, in one table read by negotiation, the response, the
 * request log and the typed client: the media type `Accept` names, the response's
 * `Content-Type`, and for the streamed formats their encoder.
 */
import type { Encoder } from "./encoder";
import { ndjsonEncoder } from "./ndjson-encoder";
import { sseEncoder } from "./sse-encoder";

export const FORMATS = {
  ndjson: { mediaType: "application/x-ndjson", contentType: "application/x-ndjson; charset=utf-8", encoder: ndjsonEncoder },
  sse: { mediaType: "text/event-stream", contentType: "text/event-stream; charset=utf-8", encoder: sseEncoder },
  json: { mediaType: "application/json", contentType: "application/json", encoder: undefined },
} as const satisfies Record<string, { mediaType: string; contentType: string; encoder: (() => Encoder) | undefined }>;

export type Format = keyof typeof FORMATS;
export type StreamFormat = Exclude<Format, "json">;

/** In negotiation order: among equal q-values the first wins (NDJSON). */
export const FORMAT_NAMES = Object.keys(FORMATS) as Format[];

export function isStreamed(format: Format): format is StreamFormat {
  return FORMATS[format].encoder !== undefined;
}
