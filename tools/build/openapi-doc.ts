/**
 * The OpenAPI 3.1 document (public/openapi.json: a static asset served at `GET /openapi.json` and
 * rendered at `/docs`), built from the zod schemas the server validates with (src/schema).
 * OpenAPI 3.1's schemas are JSON Schema 2020-12, so the definitions of schema/chatapi.schema.json
 * (tools/build/schema-doc.ts, `z.toJSONSchema`) become `components.schemas` as they are, referring to
 * each other as `#/components/schemas/ID`; no OpenAPI library is needed, and none ships in the
 * Worker. Pure (zod and src only), so the drift test can rebuild it anywhere.
 *
 * Adding an endpoint is one entry in OPERATIONS; a zod schema it names that is new gets an id in
 * EXTRA_INPUT or EXTRA_OUTPUT (or in schema-doc.ts, to publish it in the JSON Schema too).
 */
import * as z from "zod";
import pkg from "../../package.json";
import { APPROVAL_ID_PATTERN } from "../../src/chat/approvals";
import { IMAGE_TYPES, MAX_IMAGE_BYTES, MAX_IMAGES } from "../../src/schema/limits";
import * as conv from "../../src/schema/conversations";
import * as ev from "../../src/schema/events";
import { Health } from "../../src/schema/health";
import * as req from "../../src/schema/request";
import { UiChatRequest } from "../../src/schema/ui-request";
import { textsFor } from "../../src/steps/i18n";
import { ENCODERS } from "../../src/stream/encoders";
import { wireEnvelope, wireEvent } from "../../src/stream/wire";
import { FORMATS, type StreamFormat } from "../../src/stream/formats";
import { PNG_1X1_BASE64 } from "../png";
import { conversationDefs, defsOf, eventDefs, requestDefs, sharedParts, type Def, type JsonObject } from "./schema-doc";

const SCHEMAS = "#/components/schemas/";

/** One line of the NDJSON stream: an event of the run, or a keep-alive. */
const NdjsonLine = z.union([ev.ChatEvent, ev.PingEvent]);

/** Named schemas the JSON Schema document does not list: parameters, keep-alives, /health. */
const EXTRA_INPUT: Def[] = [
  [req.ChatId, { id: "ChatId", description: "Names a resumable chat: 1 to 128 characters of A-Z a-z 0-9 _ -." }],
  [req.SeqCursor, { id: "SeqCursor", description: "The seq of the last event the reader has (0: none); leading and trailing spaces are ignored." }],
  [UiChatRequest, { id: "UiChatRequest", description: "The Vercel AI SDK's chat request (DefaultChatTransport): the chat id, its UI messages, and extra body fields such as user_id." }],
];
const EXTRA_OUTPUT: Def[] = [
  [ev.PingEvent, { id: "PingEvent", description: "A keep-alive on a quiet NDJSON stream (SSE sends the comment `: ping` instead): not an event of the run; its seq repeats the last event's (0 before the first). Ignore it." }],
  [NdjsonLine, { id: "NdjsonLine", description: "One line of an application/x-ndjson stream: a ChatEvent, or a PingEvent keep-alive." }],
  [Health, { id: "Health", description: "The Worker is up. Says nothing about Azure OpenAI or the MCP server." }],
  [conv.UiMessages, { id: "UiMessages", description: "A stored conversation as the Vercel AI SDK's UI messages." }],
];

const INPUT = [...requestDefs, ...EXTRA_INPUT];
const OUTPUT = [...eventDefs, ...EXTRA_OUTPUT, ...conversationDefs];

/** `$ref` to a named schema; a schema with no id is a mistake of the table, not something to inline. */
function ref(schema: z.ZodType): JsonObject {
  const named = [...INPUT, ...OUTPUT].find(([s]) => s === schema);
  if (!named) throw new Error("openapi-doc: name this schema in EXTRA_INPUT or EXTRA_OUTPUT first");
  return { $ref: `${SCHEMAS}${named[1].id}` };
}

// --- Errors: one reusable response per code (docs/api.md, "Errors") --------------------------------

type Header = "X-Request-Id" | "Retry-After" | "WWW-Authenticate" | "Allow";

const HEADERS: Record<Header, JsonObject> = {
  "X-Request-Id": { description: "This request's id, equal to the envelope's `requestId` (and every event's): quote it when reporting a problem.", schema: { type: "string" } },
  "Retry-After": { description: "Seconds to wait before trying again.", schema: { type: "integer", minimum: 0 } },
  "WWW-Authenticate": { description: '`Bearer realm="chatapi"`; for a wrong key also `error="invalid_token"`.', schema: { type: "string" } },
  Allow: { description: "The methods this path answers.", schema: { type: "string" } },
};

/** Each error status: when it happens, an example message as the server writes it, its own headers. */
export const ERRORS: Record<number, { when: string; message: string; headers?: Header[] }> = {
  400: { when: "Invalid request: the message names the field (e.g. `query[0].content[1].image_url: the image bytes are not a PNG image`), or unknown fields (`steam: unknown field`); more than 10 images; a prompt Azure's content filter refused (`The prompt was filtered…`). In a stream, an answer the filter cut is an `error` event 400 whose `data.answer` holds what was streamed before.", message: "query[0].content[1].image_url: the image bytes are not a PNG image (declared image/png)" },
  401: { when: "Missing or wrong API key (`Authorization: Bearer KEY`, one of `API_KEYS`).", message: "Missing API key: send Authorization: Bearer KEY", headers: ["WWW-Authenticate"] },
  404: { when: "Unknown path; or, for a resumable chat, no run going (stop) or a chat that belongs to another key.", message: "No such chat for this key" },
  405: { when: "Wrong method for the path; `Allow` lists the right ones.", message: "Method not allowed; use POST", headers: ["Allow"] },
  406: { when: "`Accept` allows none of the formats this endpoint serves.", message: "Accept must allow application/x-ndjson, text/event-stream, application/json" },
  409: { when: "This `chat_id` already has a run going: follow it (`GET /api/chat/{chat_id}/stream`) or stop it.", message: "This chat already has a run going: follow it with GET /api/chat/{chat_id}/stream, or stop it with POST /api/chat/{chat_id}/stop" },
  413: { when: "Body larger than `MAX_BODY_BYTES` (checked before parsing), a text longer than `MAX_TEXT_CHARS`, or an image over 20 MiB; the message names the field.", message: "body: larger than the 32 MiB allowed (MAX_BODY_BYTES)" },
  415: { when: "`Content-Type` is not `application/json`.", message: "Content-Type must be application/json (got \"text/plain\")" },
  429: { when: "Rate limited: ours (per key, per `user_id`), or Azure's after the retries (then also `data.retry_after_ms`).", message: "Rate limit exceeded: too many requests with this API key; retry after 60 s", headers: ["Retry-After"] },
  499: { when: "The resumable chat's run was stopped (`POST /api/chat/{chat_id}/stop`) before it ended: the envelope holds the steps and answer so far. A stream gets it as its `error` event.", message: "Stopped by the client" },
  500: { when: "A bug of ours: a generic message, its stack in the log line (never in the answer).", message: "Internal error" },
  502: { when: "Azure OpenAI failed, refused our key or deployment (the message names the setting to check, never its value), redirected (never followed), answered without an event stream, sent an event over 1 MiB, broke off without a finish reason; or the answer outgrew `MAX_ANSWER_CHARS`.", message: "The Azure OpenAI stream ended without a finish reason (broken stream)" },
  503: { when: "Not configured, or configured so it cannot work (says what to set: the Azure endpoint, key or version, or `API_KEYS`); or a resumable chat's run was interrupted by a restart.", message: "Azure OpenAI is not configured: set the secret AZURE_OPENAI_API_KEY" },
  504: { when: "Azure OpenAI sent no data for `UPSTREAM_TIMEOUT_MS`, or one model round took longer than `UPSTREAM_ROUND_TIMEOUT_MS`.", message: "Azure OpenAI sent no data for 30000 ms (UPSTREAM_TIMEOUT_MS)" },
};

function errorResponse(code: number): JsonObject {
  const { when, message, headers = [] } = ERRORS[code];
  return {
    description: when,
    headers: Object.fromEntries(["X-Request-Id", ...headers].map((h) => [h, { $ref: `#/components/headers/${h}` }])),
    content: { [FORMATS.json.mediaType]: { schema: ref(ev.Envelope), example: { code, message, timestamp: TIMESTAMP, requestId: REQUEST_ID, data: { steps: [] } } satisfies ev.Envelope } },
  };
}

// --- Examples, written by the real encoders from events the schemas accept ------------------------

const REQUEST_ID = "req_5f8c9a2b3d1e";
const TIMESTAMP = "2026-01-01T00:00:00.000Z";

const example = {
  text: { user_id: "user_123", query: [{ role: "user", content: "你好，帮我找一个 qwen 模型" }] },
  image: {
    user_id: "user_123",
    query: [
      { role: "system", content: "You are concise." },
      { role: "user", content: [{ type: "input_text", text: "What is in this image?" }, { type: "input_image", image_url: `data:image/png;base64,${PNG_1X1_BASE64}`, detail: "auto" }] },
    ],
    stream: false,
  },
  resumable: { user_id: "user_123", chat_id: "conv_42", query: [{ role: "user", content: "Hello!" }] },

  /** A short chat as the stream carries it (Accept-Language: en): each step when it starts and when it ends. */
  events(): ev.RunEvent[] {
    const t = textsFor("en");
    const modelName = t.model("gpt-4.1", false);
    const usage = { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 };
    const system: ev.RunStep = { message_id: "msg_1", present_content: t.systemStart("user_123"), tool_type: "System", parameters: { user_id: "user_123" }, tool_status: "Start" };
    const input: ev.RunStep = { message_id: "msg_2", present_content: t.inputParser(1, 0), tool_type: "InputParser", parameters: { query_items: 1, images: 0 }, tool_status: "Start" };
    const round: ev.RunStep = { message_id: "msg_3", present_content: t.modelStart(modelName, 1), tool_type: "AzureOpenAI", parameters: { deployment: "gpt-4.1", round: 1, messages: 1, tools: 0 }, tool_status: "Start" };
    const ended = (step: ev.RunStep, execution_duration: number, observation: unknown, present_content = step.present_content): ev.RunStep => ({ ...step, present_content, tool_status: "Success", observation: JSON.stringify(observation), execution_duration });
    const final = [
      ended(system, 812, { rounds: 1, answer_chars: 22, usage }, t.systemDone),
      ended(input, 0, { query_items: 1, images: 0, roles: ["user"] }),
      ended(round, 790, { finish_reason: "stop", usage, tool_calls: [] }, t.modelDone(modelName, 1)),
    ];
    const step = (s: ev.RunStep): ev.RunEvent => ({ type: "step", requestId: REQUEST_ID, step: s });
    const delta = (text: string): ev.RunEvent => ({ type: "delta", requestId: REQUEST_ID, message_id: round.message_id, text });
    const done: ev.RunEvent = { type: "done", code: 200, message: t.success, timestamp: TIMESTAMP, requestId: REQUEST_ID, data: { steps: final, answer: "Hello! How can I help?", usage } };
    return [step(system), step(input), step(final[1]), step(round), delta("Hello"), delta("! How can I help?"), step(final[2]), step(final[0]), done];
  },

  /** The example chat as one JSON envelope: its terminal event without `type`. */
  envelope(): ev.Envelope {
    const { type: _type, ...envelope } = this.events().at(-1) as Extract<ev.RunEvent, { type: "done" }>;
    return wireEnvelope(envelope);
  },
  /** The example chat in a streamed format, as its encoder writes it (and a final check that every event is one the schema accepts). */
  stream(format: StreamFormat): string {
    const encoder = ENCODERS[format]();
    return this.events()
      .map((event, i) => {
        ev.ChatEvent.parse({ ...wireEvent(event), seq: i + 1 });
        return encoder.event(event, i + 1);
      })
      .join("");
  },
};

// --- Operations: one entry per endpoint -------------------------------------------------------

interface Operation {
  method: "get" | "post" | "delete";
  /** The OpenAPI path (`{name}` for a path parameter), as Hono's route is with `:name`. */
  path: string;
  operationId: string;
  tag: "chat" | "ai-sdk" | "meta";
  summary: string;
  description: string;
  /** Needs `Authorization: Bearer KEY` (one of `API_KEYS`; no key with `ALLOW_ANONYMOUS=true`). */
  auth: boolean;
  parameters?: JsonObject[];
  body?: { schema: z.ZodType; examples: Record<string, { summary: string; value: unknown }> };
  /** The answers that are not errors, by status. */
  responses: Record<number, JsonObject>;
  /** The error envelopes it can answer with (see ERRORS). */
  errors?: number[];
}

const idHeader = { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } };

/**
 * A streamed answer (NDJSON lines or server-sent events), and any other content it may take.
 * `first` is listed before the streams: Swagger UI's "Try it out" asks for the first content type
 * of the 200 and parses what it gets as JSON when it can, so an answer that is one JSON document
 * goes first where there is one (the streamed types stay documented beside it).
 */
function streamed(description: string, other: JsonObject = {}, first: JsonObject = {}): JsonObject {
  return {
    description:
      `${description}\n\n` +
      "- `application/x-ndjson` (the default): one `NdjsonLine` per line, written as it happens.\n" +
      "- `text/event-stream`: each `ChatEvent` as `id: SEQ`, `event: TYPE`, `data: JSON`; keep-alives are the comment `: ping`.\n\n" +
      "The schema is that of one event; the example is a whole stream. Every event carries `seq` (1, 2, 3, … without gaps); " +
      "the stream ends with exactly one `done` or `error` event; ignore event types you do not know.",
    headers: idHeader,
    content: {
      ...first,
      [FORMATS.ndjson.mediaType]: { schema: ref(NdjsonLine), example: example.stream("ndjson") },
      [FORMATS.sse.mediaType]: { schema: ref(ev.ChatEvent), example: example.stream("sse") },
      ...other,
    },
  };
}

function json(schema: z.ZodType, description: string, value?: unknown): JsonObject {
  return { description, content: { [FORMATS.json.mediaType]: { schema: ref(schema), ...(value === undefined ? {} : { example: value }) } } };
}

const chatIdParam = { name: "chat_id", in: "path", required: true, description: "The `chat_id` the chat was started with.", schema: ref(req.ChatId), example: "conv_42" };
const languageParam = {
  name: "Accept-Language",
  in: "header",
  required: false,
  description: "Step texts and messages are Chinese unless this prefers English (`en`).",
  schema: { type: "string" },
  example: "en",
};

const approvalIdParam = { name: "approval_id", in: "path", required: true, description: "The `approval_id` of the `approval_request` event.", schema: { type: "string", pattern: APPROVAL_ID_PATTERN.source }, example: "apr_5f8c9a2b3d1e" };

/** The AI SDK's UI message stream: SSE of JSON chunks, then `data: [DONE]`. */
function uiStream(description: string): JsonObject {
  return {
    description: `${description} Each chunk is a \`data: JSON\` line (see the AI SDK's UI message stream protocol); keep-alives are SSE comments.`,
    headers: { ...idHeader, "x-vercel-ai-ui-message-stream": { description: "`v1`", schema: { type: "string", const: "v1" } } },
    content: { [FORMATS.ui.mediaType]: { schema: { type: "string", description: "Server-sent events, one UI message chunk each." } } },
  };
}

export const OPERATIONS: Operation[] = [
  {
    method: "post",
    path: "/api/chat",
    operationId: "chat",
    tag: "chat",
    summary: "Chat: the steps and the answer as they happen",
    description:
      "Asks Azure OpenAI, lets the model call the MCP server's tools, and reports every step. The format follows `Accept` " +
      "(q-values honoured; among equals NDJSON wins): `application/x-ndjson` (also for no `Accept` or `*/*`), `text/event-stream`, " +
      "or `application/json` (also `\"stream\": false`) for one envelope when everything is done.\n\n" +
      "Refusals before the stream (key, rate limit, content type, size, validation, images, configuration, a `chat_id` with a run going) " +
      "are plain HTTP errors whose status equals the envelope's `code`. Past those checks a stream starts at once, and any later failure " +
      "ends it with an `error` event carrying the code it would have had; a JSON chat answers with the envelope and that status.\n\n" +
      `Images: \`data:image/{${IMAGE_TYPES.join("|")}};base64,…\` URLs (their bytes must start with that type's signature, at most ` +
      `${MAX_IMAGE_BYTES / 2 ** 20} MiB each, ${MAX_IMAGES} per request) or \`https://\` URLs.\n\n` +
      "With `chat_id` the chat is resumable: it runs in a Durable Object and outlives its connection (`GET /api/chat/{chat_id}/stream`, `POST /api/chat/{chat_id}/stop`).",
    auth: true,
    parameters: [languageParam],
    body: {
      schema: req.ChatRequest,
      examples: {
        text: { summary: "Text", value: example.text },
        image: { summary: "An image, one JSON envelope", value: example.image },
        resumable: { summary: "A resumable chat", value: example.resumable },
      },
    },
    responses: {
      200: streamed(
        "The chat: its steps, the answer in pieces, and a terminal `done` or `error` event; for `application/json`, the envelope (`code` 200) once everything is done.",
        {},
        { [FORMATS.json.mediaType]: { schema: ref(ev.Envelope), example: example.envelope() } },
      ),
    },
    errors: [400, 401, 406, 409, 413, 415, 429, 499, 500, 502, 503, 504],
  },
  {
    method: "get",
    path: "/api/chat/{chat_id}/stream",
    operationId: "followChat",
    tag: "chat",
    summary: "Follow a resumable chat, or pick it up after a lost connection",
    description:
      "The latest run's events after `Last-Event-ID` (sent by `EventSource` when it reconnects) or `?after=N` (default: all), then live ones " +
      "until the terminal event. Any number of readers at once. NDJSON or SSE by `Accept`.",
    auth: true,
    parameters: [
      chatIdParam,
      { name: "after", in: "query", required: false, description: "Send the events after this `seq` (default 0: all).", schema: ref(req.SeqCursor), example: "7" },
      { name: "Last-Event-ID", in: "header", required: false, description: "Same as `after`, and wins over it: the `id:` of the last SSE event received.", schema: ref(req.SeqCursor) },
    ],
    responses: {
      200: streamed("The run's events from the one after `after`, live until its terminal event."),
      204: { description: "Nobody started this chat with your key (or its events expired after `RESUME_TTL_S`).", headers: idHeader },
    },
    errors: [400, 401, 404, 406, 429, 500, 503],
  },
  {
    method: "post",
    path: "/api/chat/{chat_id}/stop",
    operationId: "stopChat",
    tag: "chat",
    summary: "Stop a resumable chat's run",
    description: "Cancels the run's Azure request and any tool call; every reader gets a `499` `error` event.",
    auth: true,
    parameters: [chatIdParam],
    responses: { 200: { ...json(ev.Envelope, "Stopped: the envelope (`code` 200) holds the steps and answer so far."), headers: idHeader } },
    errors: [400, 401, 404, 429, 500, 503],
  },
  {
    method: "post",
    path: "/api/chat/{chat_id}/approvals/{approval_id}",
    operationId: "answerApproval",
    tag: "chat",
    summary: "Approve or deny a tool call that waits",
    description:
      "A tool call whose MCP server asks for approval (`MCP_SERVERS` … `approval`) announces an `approval_request` event and waits. " +
      "Approved, it runs; denied, or unanswered after `APPROVAL_TIMEOUT_MS`, its step ends `Error` with the reason and the model is told the user declined.",
    auth: true,
    parameters: [chatIdParam, approvalIdParam],
    body: { schema: req.ApprovalDecision, examples: { approve: { summary: "Approve", value: { approve: true } }, deny: { summary: "Deny with a reason", value: { approve: false, reason: "not that file" } } } },
    responses: { 200: { ...json(ev.Envelope, "Answered: the call goes on (approved) or ends as declined."), headers: idHeader } },
    errors: [400, 401, 404, 415, 429, 500, 503],
  },
  {
    method: "get",
    path: "/api/chat/{chat_id}/messages",
    operationId: "getMessages",
    tag: "chat",
    summary: "A conversation kept by the service",
    description:
      "Every stored message of a chat run with `\"history\": \"server\"`: the user's as sent (stored images as links to `GET /api/chat/{chat_id}/files/{file_id}`), " +
      "each answer with its run's steps, usage and how it ended (`done`, `stopped`, `error`).",
    auth: true,
    parameters: [chatIdParam],
    responses: { 200: { ...json(conv.ConversationView, "The conversation."), headers: idHeader } },
    errors: [400, 401, 404, 429, 500, 503],
  },
  {
    method: "get",
    path: "/api/chat/{chat_id}/files/{file_id}",
    operationId: "getFile",
    tag: "chat",
    summary: "An image of a conversation kept by the service",
    description: "The image's bytes, with its content type. Only the key that stored it may read it.",
    auth: true,
    parameters: [chatIdParam, { name: "file_id", in: "path", required: true, description: "From the image's `image_url`.", schema: { type: "string", pattern: "^file_[0-9a-f]{12}$" }, example: "file_5f8c9a2b3d1e" }],
    responses: { 200: { description: "The image.", content: { "image/*": { schema: { type: "string", format: "binary" } } } } },
    errors: [400, 401, 404, 429, 500, 503],
  },
  {
    method: "delete",
    path: "/api/chat/{chat_id}",
    operationId: "deleteChat",
    tag: "chat",
    summary: "Delete a chat: its run, events, conversation and files",
    description: "Stops a running run, then deletes everything the service keeps of the chat for your key, at once.",
    auth: true,
    parameters: [chatIdParam],
    responses: { 204: { description: "Deleted.", headers: idHeader } },
    errors: [400, 401, 404, 429, 500, 503],
  },
  {
    method: "get",
    path: "/api/chats",
    operationId: "listChats",
    tag: "chat",
    summary: "A user's chats kept by the service, newest first",
    description: "The chats run with `\"history\": \"server\"` for that `user_id` under your key, paged by cursor.",
    auth: true,
    parameters: [
      { name: "user_id", in: "query", required: true, description: "The `user_id` the chats were run with.", schema: { type: "string", minLength: 1, maxLength: 128 }, example: "user_123" },
      { name: "limit", in: "query", required: false, description: "Chats per page, 1 to 100 (default 20).", schema: { type: "integer", minimum: 1, maximum: 100 }, example: 20 },
      { name: "cursor", in: "query", required: false, description: "The `next_cursor` of the previous page.", schema: { type: "string" } },
    ],
    responses: { 200: json(conv.ChatListPage, "One page of chats.") },
    errors: [400, 401, 429, 500, 503],
  },
  {
    method: "post",
    path: "/api/ui/chat",
    operationId: "uiChat",
    tag: "ai-sdk",
    summary: "Chat in the Vercel AI SDK's UI message stream protocol (useChat)",
    description:
      "For `useChat` with `new DefaultChatTransport({ api: \"https://HOST/api/ui/chat\" })`. The request is the AI SDK's (`id`, `messages`, `trigger`, `messageId`, extra fields such as `user_id`); " +
      "the answer is its SSE stream (`x-vercel-ai-ui-message-stream: v1`): `start`, `start-step`/`finish-step`, text parts, each MCP call as a dynamic tool part, each step as a `data-step` part " +
      "whose `id` is the step's `message_id`, `finish` with `messageMetadata` `{requestId, usage}`, `error` parts, `data: [DONE]`. `id` is the chat's `chat_id`: these chats are resumable. " +
      "A tool call that needs approval is a `tool-approval-request` and the response ends there; a request whose last (assistant) message holds tool parts in the state `approval-responded` answers them, and its response goes on from there (the AI SDK's approval flow; `404` when the chat has none of those approvals).",
    auth: true,
    body: {
      schema: UiChatRequest,
      examples: { text: { summary: "A user message", value: { id: "conv_42", messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "你好" }] }], trigger: "submit-message", user_id: "user_123" } } },
    },
    responses: { 200: uiStream("The UI message stream of the run.") },
    errors: [400, 401, 404, 409, 413, 415, 429, 500, 503],
  },
  {
    method: "get",
    path: "/api/ui/chat/{chat_id}/stream",
    operationId: "resumeUiChat",
    tag: "ai-sdk",
    summary: "Resume the running chat, as `useChat`'s `resume: true` expects",
    description: "The running chat's UI message stream from its start; `204` when none is running.",
    auth: true,
    parameters: [chatIdParam],
    responses: { 200: uiStream("The running chat's UI message stream, from its start."), 204: { description: "No chat of this id is running for your key.", headers: idHeader } },
    errors: [400, 401, 404, 429, 500, 503],
  },
  {
    method: "get",
    path: "/api/ui/chat/{chat_id}/messages",
    operationId: "getUiMessages",
    tag: "ai-sdk",
    summary: "A conversation kept by the service, as UI messages for useChat",
    description: "For the AI SDK's message persistence pattern: `useChat({ id, messages })` with these, and `prepareSendMessagesRequest` sending only the new `message`.",
    auth: true,
    parameters: [chatIdParam],
    responses: { 200: { ...json(conv.UiMessages, "The UI messages."), headers: idHeader } },
    errors: [400, 401, 404, 429, 500, 503],
  },
  {
    method: "post",
    path: "/api/ui/chat/{chat_id}/stop",
    operationId: "stopUiChat",
    tag: "ai-sdk",
    summary: "Stop the running chat",
    description: "Cancels the run; its streams end with an `abort` part.",
    auth: true,
    parameters: [chatIdParam],
    responses: { 200: { ...json(ev.Envelope, "Stopped: the envelope (`code` 200) holds the steps and answer so far."), headers: idHeader } },
    errors: [400, 401, 404, 429, 500, 503],
  },
  {
    method: "post",
    path: "/api/ui/chat/{chat_id}/approvals/{approval_id}",
    operationId: "answerUiApproval",
    tag: "ai-sdk",
    summary: "Approve or deny a tool call that waits (for clients without the AI SDK's approval flow)",
    description: "As `POST /api/chat/{chat_id}/approvals/{approval_id}`. ai 6 and 7 answer in their next `POST /api/ui/chat` instead (`addToolApprovalResponse`); ai 5, with `approval_flow: \"data\"`, sees the call as a `data-approval` part and answers here.",
    auth: true,
    parameters: [chatIdParam, approvalIdParam],
    body: { schema: req.ApprovalDecision, examples: { approve: { summary: "Approve", value: { approve: true } } } },
    responses: { 200: { ...json(ev.Envelope, "Answered."), headers: idHeader } },
    errors: [400, 401, 404, 415, 429, 500, 503],
  },
  {
    method: "get",
    path: "/health",
    operationId: "health",
    tag: "meta",
    summary: "Liveness",
    description: "No key needed.",
    auth: false,
    responses: { 200: json(Health, "The Worker is up.", { status: "healthy", timestamp: TIMESTAMP }) },
  },
  {
    method: "get",
    path: "/api/schema",
    operationId: "jsonSchema",
    tag: "meta",
    summary: "The JSON Schema of the request and every event",
    description: "schema/chatapi.schema.json (JSON Schema 2020-12): `#/$defs/ChatRequest`, `#/$defs/ChatEvent`, `#/$defs/Envelope` and what they use. No key needed.",
    auth: false,
    responses: { 200: { description: "The JSON Schema document.", content: { [FORMATS.json.mediaType]: { schema: { type: "object", description: "A JSON Schema 2020-12 document." } } } } },
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    tag: "meta",
    summary: "This document",
    description: "The OpenAPI 3.1 document, a static asset (rendered at `/docs`). No key needed; any origin may read it.",
    auth: false,
    responses: { 200: { description: "The OpenAPI 3.1 document.", content: { [FORMATS.json.mediaType]: { schema: { type: "object", description: "An OpenAPI 3.1 document." } } } } },
  },
];

// --- The document -----------------------------------------------------------------------------

function operationObject(op: Operation): JsonObject {
  const responses: Record<string, JsonObject> = {};
  for (const [status, response] of Object.entries(op.responses)) responses[status] = response;
  for (const code of op.errors ?? []) responses[String(code)] = { $ref: `#/components/responses/Error${code}` };
  return {
    tags: [op.tag],
    summary: op.summary,
    description: op.description,
    operationId: op.operationId,
    ...(op.parameters ? { parameters: op.parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { [FORMATS.json.mediaType]: { schema: ref(op.body.schema), examples: op.body.examples } } } }
      : {}),
    responses,
    security: op.auth ? [{ bearerAuth: [] }] : [],
  };
}

export function buildOpenApiDocument(): JsonObject {
  for (const op of OPERATIONS) for (const { value } of Object.values(op.body?.examples ?? {})) op.body!.schema.parse(value);
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operationObject(op);
  const errorTable = Object.entries(ERRORS).map(([code, { when }]) => `| ${code} | ${when.replaceAll("|", "\\|")} |`).join("\n");
  return {
    openapi: "3.1.0",
    info: {
      title: "chatapi",
      version: pkg.version,
      summary: "Chat with Azure OpenAI and MCP tools, every step streamed.",
      description:
        "A browser or any client posts text and images; the service asks Azure OpenAI, lets the model call tools on a remote MCP server, " +
        "and streams every step (started, tool called, tool answered, model writing, done) as JSON.\n\n" +
        "**Errors.** Every error is the `Envelope` `{code, message, timestamp, requestId, data: {steps, answer?, usage?}}`; compare `code`, " +
        "not `message` (it follows `Accept-Language`). Every response carries `X-Request-Id`.\n\n" +
        `| code | when |\n| --- | --- |\n${errorTable}\n\n` +
        "Generated from the zod schemas in `src/schema` by `npm run schema` (tools/build/openapi-doc.ts); the same schemas as JSON Schema: `GET /api/schema`.",
    },
    tags: [
      { name: "chat", description: "Chats: streamed, JSON, resumable; tool approvals." },
      { name: "ai-sdk", description: "The same chats for the Vercel AI SDK's useChat (UI message stream protocol)." },
      { name: "meta", description: "Liveness and the machine-readable descriptions of this API." },
    ],
    paths,
    components: {
      schemas: { ...defsOf(INPUT, "input", SCHEMAS), ...defsOf(OUTPUT, "output", SCHEMAS, sharedParts) },
      responses: Object.fromEntries(Object.keys(ERRORS).map((code) => [`Error${code}`, errorResponse(Number(code))])),
      headers: HEADERS,
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "One of the deployment's `API_KEYS` as `Authorization: Bearer KEY`. A local `npm start` without `API_KEYS` needs none (and refuses any).",
        },
      },
    },
  };
}

/** The file's text: two-space JSON and a final newline. */
export function openApiText(): string {
  return JSON.stringify(buildOpenApiDocument(), null, 2) + "\n";
}
