/**
 * Type-checked only (the Node program of `npm run check:types`): the typed client's wire types
 * (client/src/wire.ts, compiled from the published JSON Schema) agree with the zod schemas the
 * server validates and emits with. What the server emits must be assignable to the client's event
 * and envelope types, and what the client lets an application send must be a request the server's
 * schema accepts (`history`, `replace_from` included); the conversation endpoints' answers are the
 * server's. A drift in either direction fails the type check.
 */
import type * as client from "../../client/src/types";
import type * as conversations from "../../src/schema/conversations";
import type * as events from "../../src/schema/events";
import type * as request from "../../src/schema/request";
import type { z } from "zod";

type Assignable<From, To> = [From] extends [To] ? true : false;
type Both<A, B> = Assignable<A, B> extends true ? Assignable<B, A> : false;
const ok = <T extends true>(): T => true as T;

// Events and envelopes: the server's output types and the client's, both ways.
ok<Both<events.Step, client.Step>>();
ok<Both<events.Usage, client.Usage>>();
ok<Both<events.StepEvent, client.StepEvent>>();
ok<Both<events.DeltaEvent, client.DeltaEvent>>();
ok<Both<events.DoneEvent, client.DoneEvent>>();
ok<Both<events.ErrorEvent, client.ErrorEvent>>();
ok<Both<events.ApprovalRequestEvent, client.ApprovalRequestEvent>>();
ok<Both<events.ChatEvent, client.ChatEvent>>();
ok<Both<events.Envelope, client.Envelope>>();
ok<Both<events.PingEvent, client.PingEvent>>();
ok<Both<events.ToolType, client.ToolType>>();
ok<Both<events.ToolStatus, client.ToolStatus>>();

// The conversation endpoints' answers (GET /api/chat/{id}/messages, GET /api/chats): the same both ways.
ok<Both<z.output<typeof conversations.ConversationView>, client.Conversation>>();
ok<Both<z.output<typeof conversations.StoredMessageView>, client.StoredMessage>>();
ok<Both<z.output<typeof conversations.ChatListPage>, client.ChatListPage>>();

// Requests: what the client types allow is what the server's schema takes as input, both ways.
ok<Both<z.input<typeof request.ChatRequest>, client.ChatRequest>>();
ok<Both<z.input<typeof request.QueryMessage>, client.QueryMessage>>();
ok<Both<z.input<typeof request.InputImagePart>, client.InputImagePart>>();
ok<Both<z.input<typeof request.ApprovalDecision>, client.ApprovalDecision>>();
