/** The Worker's side of resumable chats: the `chat_id` of a path, and forwarding to its ChatRoom. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { describeIssue } from "../request/validate";
import { requestSchemas } from "../schema/lazy";
import type { Format } from "../stream/formats";

export async function chatIdOf(c: Context<AppEnv>): Promise<string> {
  const id = c.req.param("chat_id") ?? "";
  const { ChatId } = await requestSchemas();
  const parsed = ChatId.safeParse(id);
  if (!parsed.success) throw new ApiError(400, `chat_id: ${parsed.error.issues[0].message}`);
  return id;
}

/**
 * Forwards to the chat's Durable Object, with the caller's scope: its key's fingerprint, or
 * `anonymous`. Its answer is re-wrapped (its headers are immutable as fetched; the body streams
 * through untouched) so CORS headers can be added. A run's stream keeps the run's `X-Request-Id`
 * (its events' `requestId`, which a client that reconnects checks); other answers get this request's.
 */
export async function room(c: Context<AppEnv>, chatId: string, path: string, format: Format, init: RequestInit & { headers?: Record<string, string> }) {
  const rooms = c.env.CHAT_ROOMS;
  const stub = rooms.get(rooms.idFromName(chatId));
  const answer = await stub.fetch(`https://chat-room${path}`, {
    ...init,
    headers: { ...init.headers, "x-chat-scope": c.var.client, "x-chat-request-id": c.var.requestId, "x-chat-format": format },
  });
  const response = new Response(answer.body, answer);
  if (!response.headers.has("X-Request-Id")) response.headers.set("X-Request-Id", c.var.requestId);
  return response;
}

/** `POST …/{chat_id}/approvals/{approval_id}` with `{"approve": true}` or `{"approve": false, "reason": "…"}`. */
export async function answerApproval(c: Context<AppEnv>): Promise<Response> {
  const chatId = await chatIdOf(c);
  const approvalId = c.req.param("approval_id") ?? "";
  if (!/^apr_[0-9a-f]{12}$/.test(approvalId)) throw new ApiError(404, "No tool call of this chat waits for that approval (unknown, or already answered)");
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError(400, "body: must be JSON: {\"approve\": true} or {\"approve\": false, \"reason\": \"…\"}");
  }
  const { ApprovalDecision } = await requestSchemas();
  const parsed = ApprovalDecision.safeParse(body);
  if (!parsed.success) throw new ApiError(400, describeIssue(parsed.error.issues[0]));
  return room(c, chatId, "/approve", "json", { method: "POST", body: JSON.stringify({ approval_id: approvalId, ...parsed.data }) });
}
