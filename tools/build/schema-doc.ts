/**
 * The published JSON Schema (schema/chatapi.schema.json), built from the zod schemas of
 * src/schema with `z.toJSONSchema`. Pure (zod only), so the drift test can rebuild it anywhere.
 * The request is described as the server reads it (`io: "input"`: unknown keys are ignored);
 * events and envelopes as the server writes them (`io: "output"`: exactly these keys).
 */
import { z } from "zod";
import * as req from "../../src/schema/request";
import * as ev from "../../src/schema/events";
import * as conv from "../../src/schema/conversations";

export type Meta = { id: string; description: string };
export type JsonObject = Record<string, unknown>;
/** A named zod schema: its id is its name in `$defs` here and in the OpenAPI document's `components.schemas`. */
export type Def = [z.ZodType, Meta];

export const requestDefs: Def[] = [
  [req.ChatRequest, { id: "ChatRequest", description: "The body of POST /api/chat." }],
  [req.QueryMessage, { id: "QueryMessage", description: "One message of the conversation: system, user or assistant." }],
  [req.InputTextPart, { id: "InputTextPart", description: "A text part of a message." }],
  [req.InputImagePart, { id: "InputImagePart", description: "An image: a data:image/{png|jpeg|webp|gif};base64,… URL (at most 20 MiB, 10 per request) or an https:// URL." }],
  [req.OutputTextPart, { id: "OutputTextPart", description: "A text part of an earlier assistant answer." }],
  [req.ImageDetail, { id: "ImageDetail", description: "How closely the model looks at an image." }],
  [req.ModelOptions, { id: "ModelOptions", description: "Model parameters for this chat. Only those the service's CLIENT_OPTIONS allows (default temperature, max_tokens) may be set; any other is a 400 naming it. A max_tokens above the service's own (MODEL_PARAMS) is lowered to it." }],
  [req.ApprovalDecision, { id: "ApprovalDecision", description: "The answer to an approval_request: approve the tool call, or deny it with an optional reason." }],
];

export const eventDefs: Def[] = [
  [ev.ChatEvent, { id: "ChatEvent", description: "One event of the stream (a line of NDJSON, or an SSE event named by `type`). Clients ignore types they do not know." }],
  [ev.StepEvent, { id: "StepEvent", description: "A step started (tool_status Start) or ended (Success / Error, with observation and execution_duration)." }],
  [ev.DeltaEvent, { id: "DeltaEvent", description: "A piece of the answer; the pieces in order make data.answer." }],
  [ev.ApprovalRequestEvent, { id: "ApprovalRequestEvent", description: "A tool call waits for a person: answer with POST /api/chat/{chat_id}/approvals/{approval_id}." }],
  [ev.DoneEvent, { id: "DoneEvent", description: "The last event of a successful stream: the envelope with type done." }],
  [ev.ErrorEvent, { id: "ErrorEvent", description: "The last event of a failed stream: the envelope with type error." }],
  [ev.Envelope, { id: "Envelope", description: "The JSON response (Accept: application/json) and the body of every error response." }],
  [ev.EnvelopeData, { id: "EnvelopeData", description: "Every step once, in its final state, in start order; the answer and usage where some exist." }],
  [ev.Step, { id: "Step", description: "One step of the work. parameters is a JSON string; execution_duration is in whole milliseconds." }],
  [ev.Usage, { id: "Usage", description: "Token usage reported by the model." }],
  [ev.ToolType, { id: "ToolType", description: "System (the request), InputParser, AzureOpenAI (one per model round on Azure OpenAI), OpenAI (one per model round on an OpenAI-compatible upstream, UPSTREAM=openai), MCP (tool listing and calls)." }],
  [ev.ToolStatus, { id: "ToolStatus", description: "Start when a step begins; Success or Error when it ends." }],
];

/** The answers of the conversation endpoints (`history: "server"`), as the server writes them. */
export const conversationDefs: Def[] = [
  [conv.ConversationView, { id: "Conversation", description: "A chat's conversation kept by the service (history: \"server\"): GET /api/chat/{chat_id}/messages." }],
  [conv.StoredMessageView, { id: "StoredMessage", description: "One message of a conversation kept by the service: a user's message as sent (a stored image as a link to GET /api/chat/{chat_id}/files/{file_id}), or an answer with its run's steps, usage and how it ended." }],
  [conv.ChatListPage, { id: "ChatListPage", description: "One page of a user's chats kept by the service, newest first: GET /api/chats." }],
];

/**
 * The request's message parts a stored message holds: the output definitions refer to the request's
 * (identical either way: closed objects with no defaults) instead of repeating them.
 */
export const sharedParts: Def[] = requestDefs.filter(([, { id }]) => ["InputTextPart", "InputImagePart", "OutputTextPart", "ImageDetail"].includes(id));

/**
 * The JSON Schemas of `entries` by id, each referring to the others as `${refBase}ID`. Requests are
 * described as the server reads them (`io: "input"`), events and envelopes as it writes them.
 * `referred` are defined elsewhere in the same document: referred to by id, not returned.
 */
export function defsOf(entries: Def[], io: "input" | "output", refBase = "#/$defs/", referred: Def[] = []): Record<string, JsonObject> {
  const registry = z.registry<Meta>();
  for (const [schema, meta] of [...entries, ...referred]) registry.add(schema, meta);
  const { schemas } = z.toJSONSchema(registry, { io, metadata: registry, target: "draft-2020-12", uri: (id) => `${refBase}${id}` });
  const defs: Record<string, JsonObject> = {};
  for (const [, { id }] of entries) {
    const { $schema: _s, $id: _i, ...rest } = schemas[id] as JsonObject;
    defs[id] = rest;
  }
  return defs;
}

/** The whole document: every definition under `$defs`; the root accepts any one of the documents. */
export function buildSchemaDocument(): JsonObject {
  const ref = (id: string) => ({ $ref: `#/$defs/${id}` });
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "chatapi",
    description:
      "The chat API of chatapi (POST /api/chat): the request body (ChatRequest), the stream events (ChatEvent), the envelope of JSON and error responses (Envelope), and the conversations the service keeps (Conversation, ChatListPage). Generated from the zod schemas in src/schema by `npm run schema`; do not edit.",
    anyOf: [ref("ChatRequest"), ref("ChatEvent"), ref("Envelope"), ref("Conversation"), ref("ChatListPage")],
    $defs: { ...defsOf(requestDefs, "input"), ...defsOf([...eventDefs, ...conversationDefs], "output", undefined, sharedParts) },
  };
}

/** The file's text: two-space JSON and a final newline. */
export function schemaText(): string {
  return JSON.stringify(buildSchemaDocument(), null, 2) + "\n";
}
