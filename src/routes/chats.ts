/**
 * `GET /api/chats?user_id=…&limit=20&cursor=…`: that user's chats kept by the service under the
 * caller's key, newest first, from the user's ChatList Durable Object (src/conversations).
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { listName, type ChatPage } from "../conversations/chat-list";
import { ApiError } from "../errors";
import { USER_ID_MAX } from "../schema/limits";
import { requireKey } from "../security/auth";
import { limitPerKey } from "../security/rate-limit";

export const chats = new Hono<AppEnv>();

chats.get("/", requireKey, limitPerKey, async (c) => {
  const userId = c.req.query("user_id") ?? "";
  if (!userId || userId.length > USER_ID_MAX) throw new ApiError(400, `user_id: required, 1 to ${USER_ID_MAX} characters`);
  const rawLimit = c.req.query("limit") ?? "20";
  const limit = /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : NaN;
  if (!(limit >= 1 && limit <= 100)) throw new ApiError(400, "limit: a whole number from 1 to 100");
  const cursor = c.req.query("cursor") || undefined;
  const lists = c.env.CHAT_LISTS;
  const page: ChatPage | null = await lists.get(lists.idFromName(await listName(c.var.client, userId))).list(limit, cursor);
  if (!page) throw new ApiError(400, "cursor: not a cursor of this list (use next_cursor as it came)");
  return c.json(page, 200, { "Cache-Control": "no-store" });
});
