/**
 * The typed client of chatapi, for browsers, Node and Workers: nothing but `fetch`.
 *
 *   import { streamChat, chat, ChatApiError } from "chatapi-client";
 *   for await (const event of streamChat({ user_id: "u1", query: [{ role: "user", content: "你好" }] }, { baseUrl })) {
 *     if (event.type === "delta") process.stdout.write(event.text);
 *   }
 *
 * `streamChat` yields the stream's events as they arrive (step, delta, then exactly one done or
 * error; keep-alive pings are skipped); a refusal before the stream (any non-2xx) throws a
 * `ChatApiError`, and so does a stream that breaks off without its terminal event, unless the
 * request has a `chat_id`: then the client reconnects by itself and resumes after the last `seq`.
 * `resumeChat` follows a resumable chat from any `seq`, `stopChat` stops it, `answerApproval`
 * approves or denies a tool call that waits for a person. `chat` returns the JSON envelope.
 * Conversations the service keeps (a request with `chat_id` and `history: "server"`): `listChats`,
 * `getMessages`, `getFile` / `getImage` (a stored image's bytes), `deleteChat`.
 */
import { MEDIA_TYPES } from "../../src/stream/media-types";
import { ChatApiError, errorFromResponse } from "./errors";
import { follow } from "./follow";
import type {
  ApprovalDecision, ChatEvent, ChatListPage, ChatRequest, ClientOptions, Conversation, Envelope, ListChatsQuery, ReconnectOptions, ResumeOptions, StreamOptions,
} from "./types";

export { ChatApiError } from "./errors";
export { readLines, readNdjson, readSse } from "./read";
export * from "./images";
/** What a `chat_id` may be: 1 to 128 characters of `A-Z a-z 0-9 _ -` (the server's own rule). */
export { CHAT_ID_MAX, CHAT_ID_PATTERN } from "../../src/schema/limits";
export type * from "./types";

const ACCEPT = MEDIA_TYPES;

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

/**
 * Streams a chat: the events, each as soon as it arrives. With `chat_id` in the request the chat
 * is resumable, and a connection that drops before the terminal event is picked up again by
 * itself (see `StreamOptions.reconnect`): the caller sees every event once, in order. With
 * `chat_id` and `history: "server"` the service keeps the conversation: `query` holds only the new
 * messages (normally one user message), and `replace_from: "<a stored user message's id>"` drops
 * that message and everything after it first (edit and regenerate).
 */
export function streamChat(request: ChatRequest, options: StreamOptions): AsyncGenerator<ChatEvent, void, undefined> {
  const format = options.format ?? "ndjson";
  const chatId = request.chat_id;
  return follow(
    () => post({ ...request, stream: true }, options, ACCEPT[format]),
    (after) => openStream(chatId!, after, options, format),
    { format, signal: options.signal, after: 0, reconnect: chatId === undefined ? undefined : reconnectPolicy(options) },
  );
}

/**
 * Follows a resumable chat's latest run (`GET /api/chat/{chat_id}/stream`): the events with `seq`
 * greater than `after` (default 0: the whole run, also after it ended), then the live ones up to
 * the terminal event; it reconnects by itself like `streamChat`. A chat that nobody started with
 * this key, or whose events expired (`RESUME_TTL_S` after its end), throws a `ChatApiError` with
 * `status` 204 before any event; another key's chat throws a 404.
 */
export function resumeChat(chatId: string, options: ResumeOptions): AsyncGenerator<ChatEvent, void, undefined> {
  const format = options.format ?? "ndjson";
  const after = options.after ?? 0;
  return follow(
    () => openStream(chatId, after, options, format),
    (since) => openStream(chatId, since, options, format),
    { format, signal: options.signal, after, reconnect: reconnectPolicy(options) },
  );
}

/**
 * Stops a resumable chat's run (`POST /api/chat/{chat_id}/stop`): its upstream work is cancelled,
 * every reader's stream ends with an `error` event of code 499, and this returns the envelope
 * with the steps and answer so far. A chat with no run going throws a `ChatApiError` 404.
 */
export async function stopChat(chatId: string, options: ClientOptions): Promise<Envelope> {
  const res = await send(options, "POST", `/api/chat/${encodeURIComponent(chatId)}/stop`, ACCEPT.json);
  return (await res.json()) as Envelope;
}

/**
 * Answers a tool call that waits for approval (`POST /api/chat/{chat_id}/approvals/{approval_id}`,
 * the `approval_id` of its `approval_request` event): `{ approve: true }` runs it, `{ approve:
 * false, reason }` ends its step `Error` with the reason and the chat goes on. Returns the `200`
 * envelope; throws a `ChatApiError` `404` when no call of this chat waits for that id (unknown,
 * already answered, timed out, or another key's chat) and `400` for a malformed decision.
 */
export async function answerApproval(chatId: string, approvalId: string, decision: ApprovalDecision, options: ClientOptions): Promise<Envelope> {
  const path = `/api/chat/${encodeURIComponent(chatId)}/approvals/${encodeURIComponent(approvalId)}`;
  const res = await send(options, "POST", path, ACCEPT.json, JSON.stringify(decision));
  return (await res.json()) as Envelope;
}

function reconnectPolicy(options: StreamOptions): ReconnectOptions | undefined {
  return options.reconnect === false ? undefined : (options.reconnect ?? {});
}

/** `GET /api/chat/{chat_id}/stream?after=N` (a query parameter, not `Last-Event-ID`: no CORS preflight header to allow). */
async function openStream(chatId: string, after: number, options: ClientOptions, format: "ndjson" | "sse"): Promise<Response> {
  const res = await send(options, "GET", `/api/chat/${encodeURIComponent(chatId)}/stream?after=${after}`, ACCEPT[format]);
  if (res.status === 204) {
    throw new ChatApiError(204, 204, `Nothing to resume: no chat "${chatId}" was started with this key, or its events expired`, res.headers.get("x-request-id") ?? undefined);
  }
  return res;
}

async function send(options: ClientOptions, method: "GET" | "POST" | "DELETE", path: string, accept: string, body?: string): Promise<Response> {
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const h = headers(options, accept);
  if (body === undefined) delete h["Content-Type"]; // no body
  const res = await doFetch(endpoint(options.baseUrl, path), { method, headers: h, body, signal: options.signal });
  if (!res.ok) throw await errorFromResponse(res);
  return res;
}

const chatPath = (chatId: string) => `/api/chat/${encodeURIComponent(chatId)}`;

/**
 * One page of a user's chats kept by the service under this key (`GET /api/chats`), newest first:
 * `{ chats: [{ chat_id, title, updated_at, messages }], next_cursor }`. Pass `next_cursor` as
 * `cursor` for the next page; it is `null` on the last. A bad `limit` (1 to 100) or a cursor that
 * is not this list's throws a `ChatApiError` `400`.
 */
export async function listChats(query: ListChatsQuery, options: ClientOptions): Promise<ChatListPage> {
  const params = new URLSearchParams({ user_id: query.userId });
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  if (query.cursor) params.set("cursor", query.cursor);
  const res = await send(options, "GET", `/api/chats?${params}`, ACCEPT.json);
  return (await res.json()) as ChatListPage;
}

/**
 * A chat's conversation kept by the service (`GET /api/chat/{chat_id}/messages`): every message
 * with its `id` (what `replace_from` takes), and each answer's steps, usage and `status`. A stored
 * image is `{ type: "input_image", image_url: "/api/chat/{chat_id}/files/{file_id}" }`: read it
 * with `getImage`. Throws a `ChatApiError` `404` when the chat keeps no history for this key.
 */
export async function getMessages(chatId: string, options: ClientOptions): Promise<Conversation> {
  const res = await send(options, "GET", `${chatPath(chatId)}/messages`, ACCEPT.json);
  return (await res.json()) as Conversation;
}

/**
 * Deletes a chat kept by the service (`DELETE /api/chat/{chat_id}`): a run going is stopped, then
 * the conversation, its events and its files are gone. Throws a `ChatApiError` `404` when there
 * was nothing to delete.
 */
export async function deleteChat(chatId: string, options: ClientOptions): Promise<void> {
  const res = await send(options, "DELETE", chatPath(chatId), ACCEPT.json);
  await res.body?.cancel();
}

/**
 * A stored image's bytes (`GET /api/chat/{chat_id}/files/{file_id}`, with the key), as a `Blob`
 * whose `type` is the image's media type. Throws a `ChatApiError` `404` for an unknown file.
 */
export async function getFile(chatId: string, fileId: string, options: ClientOptions): Promise<Blob> {
  const res = await send(options, "GET", `${chatPath(chatId)}/files/${encodeURIComponent(fileId)}`, "image/*");
  return res.blob();
}

/** A stored image's link as `getMessages` gives it: the only URL `getImage` sends the key to. */
const STORED_FILE = /^\/api\/chat\/[^/\\?#]+\/files\/[^/\\?#]+$/;

/**
 * The image of an `input_image` part of `getMessages`, as a `Blob`: a stored image's link
 * (`/api/chat/{chat_id}/files/{file_id}`) is fetched from `baseUrl` with the key; a `data:` URL
 * is decoded here; any other URL (an image sent by link) is fetched as it is, without the key.
 * In a page, `URL.createObjectURL(blob)` shows it (an `<img>` cannot send the key itself).
 */
export async function getImage(imageUrl: string, options: ClientOptions): Promise<Blob> {
  if (STORED_FILE.test(imageUrl)) return (await send(options, "GET", imageUrl, "image/*")).blob();
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(imageUrl);
  if (data) {
    const binary = atob(data[2]);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: data[1] });
  }
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const res = await doFetch(imageUrl, { method: "GET", signal: options.signal });
  if (!res.ok) throw await errorFromResponse(res);
  return res.blob();
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
