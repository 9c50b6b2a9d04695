/**
 * The media type of each response format, dependency-free: formats.ts builds its table on it, and
 * the typed client imports it without bundling the server's encoders.
 */
export const MEDIA_TYPES = {
  ndjson: "application/x-ndjson",
  sse: "text/event-stream",
  json: "application/json",
} as const;
