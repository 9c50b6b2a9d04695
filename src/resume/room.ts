/** The Worker's side of resumable chats: the `chat_id` of a path, and forwarding to its ChatRoom. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { ChatId } from "../schema/request";
import type { Format } from "../stream/formats";

export function chatIdOf(c: Context<AppEnv>): string {
  const id = c.req.param("chat_id") ?? "";
  const parsed = ChatId.safeParse(id);
  if (!parsed.success) throw new ApiError(400, `chat_id: ${parsed.error.issues[0].message}`);
  return id;
}

/** Forwards to the chat's Durable Object, with the caller's scope: its key's fingerprint, or `anonymous`. */
export function room(c: Context<AppEnv>, chatId: string, path: string, format: Format, init: RequestInit & { headers?: Record<string, string> }) {
  const rooms = c.env.CHAT_ROOMS;
  const stub = rooms.get(rooms.idFromName(chatId));
  return stub.fetch(`https://chat-room${path}`, {
    ...init,
    headers: { ...init.headers, "x-chat-scope": c.var.client, "x-chat-request-id": c.var.requestId, "x-chat-format": format },
  });
}
