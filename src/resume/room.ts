/**
 * The Worker's side of resumable chats: the `chat_id` of a path, the chat's ChatRoom (one Durable
 * Object per `chat_id`), the caller as the room sees it (its key's scope and this request's id),
 * and the room's answer as the HTTP response: a run's stream keeps the run's `X-Request-Id` (its
 * events' `requestId`, which a client that reconnects checks); an envelope answers with its code.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { APPROVAL_ID_PATTERN } from "../chat/approvals";
import { ApiError } from "../errors";
import { describeIssue } from "../request/validate";
import { requestSchemas } from "../schema/lazy";
import { envelopeResponse } from "../stream/respond";
import { streamHeaders } from "../stream/formats";
import type { Caller, RoomAnswer } from "./room-protocol";

export async function chatIdOf(c: Context<AppEnv>): Promise<string> {
  const id = c.req.param("chat_id") ?? "";
  const { ChatId } = await requestSchemas();
  const parsed = ChatId.safeParse(id);
  if (!parsed.success) throw new ApiError(400, `chat_id: ${parsed.error.issues[0].message}`);
  return id;
}

export function roomOf(c: Context<AppEnv>, chatId: string) {
  const rooms = c.env.CHAT_ROOMS;
  return rooms.get(rooms.idFromName(chatId));
}

export function callerOf(c: Context<AppEnv>): Caller {
  return { scope: c.var.client, requestId: c.var.requestId };
}

export function roomResponse(c: Context<AppEnv>, answer: RoomAnswer): Response {
  if (answer.kind === "stream") return new Response(answer.body, { headers: streamHeaders(answer.format, answer.requestId) });
  if (answer.kind === "envelope") return envelopeResponse(answer.envelope, answer.headers);
  if (answer.kind === "json") return Response.json(answer.body, { headers: { "X-Request-Id": c.var.requestId, "Cache-Control": "no-store" } });
  return new Response(null, { status: 204, headers: { "X-Request-Id": c.var.requestId } });
}

/** `POST …/{chat_id}/approvals/{approval_id}` with `{"approve": true}` or `{"approve": false, "reason": "…"}`. */
export async function answerApproval(c: Context<AppEnv>): Promise<Response> {
  const chatId = await chatIdOf(c);
  const approvalId = c.req.param("approval_id") ?? "";
  if (!APPROVAL_ID_PATTERN.test(approvalId)) throw new ApiError(404, "No tool call of this chat waits for that approval (unknown, or already answered)");
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError(400, "body: must be JSON: {\"approve\": true} or {\"approve\": false, \"reason\": \"…\"}");
  }
  const { ApprovalDecision } = await requestSchemas();
  const parsed = ApprovalDecision.safeParse(body);
  if (!parsed.success) throw new ApiError(400, describeIssue(parsed.error.issues[0]));
  return roomResponse(c, await roomOf(c, chatId).approve(callerOf(c), approvalId, parsed.data));
}
