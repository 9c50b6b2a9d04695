/**
 * The typed client of chatapi, for browsers, Node and Workers: nothing but `fetch`.
 *
 *   import { streamChat, chat, ChatApiError } from "chatapi/client";
 *   for await (const event of streamChat({ user_id: "u1", query: [{ role: "user", content: "你好" }] }, { baseUrl })) {
 *     if (event.type === "delta") process.stdout.write(event.text);
 *   }
 *
 * `streamChat` yields the stream's events as they arrive (step, delta, then exactly one done or
 * error); a refusal before the stream (any non-2xx) throws a `ChatApiError`, and so does a stream
 * that breaks off without its terminal event. `chat` returns the JSON envelope.
 */
import { FORMATS } from "../../src/stream/formats";
import { ChatApiError, errorFromResponse } from "./errors";
import { readNdjson, readSse } from "./read";
import type { ChatEvent, ChatRequest, ClientOptions, Envelope, StreamOptions } from "./types";

export { ChatApiError } from "./errors";
export { readLines, readNdjson, readSse } from "./read";
export * from "./images";
export type * from "./types";

const ACCEPT = { ndjson: FORMATS.ndjson.mediaType, sse: FORMATS.sse.mediaType, json: FORMATS.json.mediaType } as const;

function endpoint(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, "") + path;
}

function headers(options: ClientOptions, accept: string): Record<string, string> {
  const h: Record<string, string> = { "Content-Type": "application/json", Accept: accept };
  if (options.apiKey) h.Authorization = `Bearer ${options.apiKey}`;
  if (options.lang) h["Accept-Language"] = options.lang;
  return h;
}

async function post(request: ChatRequest, options: ClientOptions, accept: string): Promise<Response> {
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const res = await doFetch(endpoint(options.baseUrl, "/api/chat"), {
    method: "POST",
    headers: headers(options, accept),
    body: JSON.stringify(request),
    signal: options.signal,
  });
  if (!res.ok) throw await errorFromResponse(res);
  return res;
}

/** Streams a chat: the events, each as soon as it arrives. */
export async function* streamChat(request: ChatRequest, options: StreamOptions): AsyncGenerator<ChatEvent, void, undefined> {
  const format = options.format ?? "ndjson";
  const res = await post({ ...request, stream: true }, options, ACCEPT[format]);
  if (!res.body) throw new ChatApiError(res.status, 502, "The response has no body", res.headers.get("x-request-id") ?? undefined);
  let last: ChatEvent | undefined;
  let ended = false;
  for await (const event of format === "sse" ? readSse(res.body) : readNdjson(res.body)) {
    // Nothing follows the terminal event; the server closes the stream right after it. Reading on
    // to that close (rather than cancelling the body) lets the request complete instead of
    // showing as aborted (e.g. in the browser's DevTools).
    if (ended) continue;
    last = event;
    yield event;
    if (event.type === "done" || event.type === "error") ended = true;
  }
  if (ended) return;
  const requestId = last?.requestId ?? res.headers.get("x-request-id") ?? undefined;
  throw new ChatApiError(res.status, 502, "The stream ended without a done or error event", requestId);
}

/** One chat as one JSON envelope, returned when the work is done; a failure throws a `ChatApiError`. */
export async function chat(request: ChatRequest, options: ClientOptions): Promise<Envelope> {
  const res = await post({ ...request, stream: false }, options, ACCEPT.json);
  return (await res.json()) as Envelope;
}

/** `GET /health`. */
export async function health(options: Pick<ClientOptions, "baseUrl" | "fetch" | "signal">): Promise<{ status: string; timestamp: string }> {
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const res = await doFetch(endpoint(options.baseUrl, "/health"), { method: "GET", signal: options.signal });
  if (!res.ok) throw await errorFromResponse(res);
  return (await res.json()) as { status: string; timestamp: string };
}
