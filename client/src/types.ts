/**
 * The client's types. Those of the wire (request, events, envelope) are in ./wire, compiled from
 * the published JSON Schema, which is generated from the server's zod schemas: the client's
 * declarations import nothing, and the type checks compare them with zod's own types
 * (test/support/client-wire-types.check.ts).
 */
import type {
  ApprovalDecision, ApprovalRequestEvent, ChatEvent, ChatListPage, ChatRequest, Conversation, DeltaEvent, DoneEvent, Envelope, ErrorEvent, InputImagePart,
  InputTextPart, OutputTextPart, QueryMessage, Step, StepEvent, StoredMessage, ToolStatus, ToolType, Usage,
} from "./wire";

export type {
  ApprovalDecision, ApprovalRequestEvent, ChatEvent, ChatListPage, ChatRequest, Conversation, DeltaEvent, DoneEvent, Envelope, ErrorEvent, InputImagePart,
  InputTextPart, OutputTextPart, QueryMessage, Step, StepEvent, StoredMessage, ToolStatus, ToolType, Usage,
};

/** One chat of a `listChats` page: its id, title (the first user text, cut to 80 characters), last change and number of stored messages. */
export type ChatSummary = ChatListPage["chats"][number];

/** What `listChats` asks for: one page of a user's chats kept by the service, newest first. */
export interface ListChatsQuery {
  /** Whose chats (the `user_id` the chats were sent with), under the caller's key. */
  userId: string;
  /** Chats per page, 1 to 100. Default 20. */
  limit?: number;
  /** The previous page's `next_cursor`; absent (or `null`) for the first page. */
  cursor?: string | null;
}
/**
 * The NDJSON keep-alive line (`{"type":"ping","requestId","seq"}`; SSE sends a `: ping` comment).
 * Not an event of the run: the client's readers skip it, so no `ChatEvent` the client yields is
 * ever a ping. Exported for code that reads the wire itself.
 */
export interface PingEvent {
  type: "ping";
  requestId: string;
  /** The last event's `seq` (0 before the first). */
  seq: number;
}

/** What a user message may hold: text, or a list of `input_text` and `input_image` parts. */
export type UserContent = Extract<QueryMessage, { role: "user" }>["content"];

/** The `data` of an envelope: every step, and the answer and usage where some exist. */
export type EnvelopeData = Envelope["data"];

/** A `fetch` as browsers, Node and Workers have it. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Where the service is, e.g. `https://chatapi.example.workers.dev` or `""` for the page's own origin. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** Aborts the request (and, on the server, the upstream request). */
  signal?: AbortSignal;
  /** The language of the steps' `present_content` (`Accept-Language`); the server's default is Chinese. */
  lang?: "zh" | "en";
  /** Another `fetch` (tests, proxies, a Worker's service binding). */
  fetch?: FetchLike;
}

export interface StreamOptions extends ClientOptions {
  /** The wire format; the events are the same. Default `ndjson`. */
  format?: "ndjson" | "sse";
  /**
   * A resumable chat (a request with `chat_id`, and `resumeChat`) whose connection drops before
   * its terminal event is followed again from the last `seq` seen (`GET /api/chat/{id}/stream?after=N`),
   * each event yielded once. These settings bound it; `false` turns it off (a cut stream then
   * throws, as a chat without `chat_id` always does).
   */
  reconnect?: ReconnectOptions | false;
}

export interface ReconnectOptions {
  /** Reconnection attempts in a row that may fail before the last failure is thrown. Default 5. */
  retries?: number;
  /** The wait before the first attempt, doubled for each further one (at most 8×). Default 250 ms. */
  delayMs?: number;
  /** Told before each attempt (to show "reconnecting…", or to log). */
  onReconnect?: (info: ReconnectInfo) => void;
}

export interface ReconnectInfo {
  /** 1 for the first attempt after a cut (attempts that failed in a row count up). */
  attempt: number;
  /** The last `seq` yielded: the attempt asks for the events after it. */
  after: number;
  /** How long the client waits before this attempt. */
  delayMs: number;
  /** What cut the stream: the read error, or a ChatApiError for a body that ended without a terminal event. */
  error: unknown;
}

export interface ResumeOptions extends StreamOptions {
  /** Yield the events with `seq` greater than this (the last one you have). Default 0: the whole run. */
  after?: number;
}
