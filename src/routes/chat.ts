/**
 * The chat endpoints. `POST /api/chat` passes the checks that need no upstream (middleware, then
 * checkChat): any failure there is a plain HTTP error with the envelope; past them the response
 * starts at once (streamed) or answers when the work is done (JSON). With `chat_id` the chat is
 * resumable: it runs in its ChatRoom Durable Object, which `GET /:chat_id/stream` follows and
 * `POST /:chat_id/stop` stops.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { startChat } from "../chat/start-chat";
import { ApiError } from "../errors";
import { checkChat } from "../request/check-chat";
import { pickFormat } from "../request/negotiate";
import { requireJson, validateChatRequest } from "../request/validate";
import { requestSchemas } from "../schema/lazy";
import { requireKey } from "../security/auth";
import { limitBody } from "../security/body-limit";
import { limitPerKey } from "../security/rate-limit";
import { isStreamed } from "../stream/formats";
import { fileResponse } from "../conversations/files";
import { answerApproval, callerOf, chatIdOf, roomOf, roomResponse } from "../resume/room";
import { jsonResponse, streamResponse } from "../stream/respond";

export const chat = new Hono<AppEnv>();

// Key (401/503), rate limit per key (429), JSON only (415), body limit (413) before parsing, schema (400).
chat.post("/", requireKey, limitPerKey, requireJson, limitBody, validateChatRequest, async (c) => {
  const checked = await checkChat(c, c.req.valid("json"));
  const { chat_id: chatId } = checked.request;
  if (chatId) {
    const { config: _config, format, ...chat } = checked;
    return roomResponse(c, await roomOf(c, chatId).run({ ...callerOf(c), chat, format, approvals: "sdk" }));
  }
  const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
  const options = {
    requestId: checked.requestId,
    run: startChat(checked.config, checked, waitUntil),
    waitUntil,
    onFinish: c.var.log.track(),
    clientSignal: c.req.raw.signal,
  };
  return isStreamed(checked.format) ? streamResponse(checked.format, checked.config.stream, options) : jsonResponse(options);
});

chat.get("/:chat_id/stream", requireKey, limitPerKey, async (c) => {
  const format = pickFormat(c.req.header("accept"));
  if (!format || !isStreamed(format)) throw new ApiError(406, "Accept must allow application/x-ndjson or text/event-stream");
  c.var.log.format = format;
  const raw = c.req.header("last-event-id") ?? c.req.query("after") ?? "0";
  const { SeqCursor } = await requestSchemas();
  const cursor = SeqCursor.safeParse(raw);
  if (!cursor.success) throw new ApiError(400, `${c.req.header("last-event-id") !== undefined ? "Last-Event-ID" : "after"}: ${cursor.error.issues[0].message}`);
  return roomResponse(c, await roomOf(c, await chatIdOf(c)).stream(callerOf(c), format, Number(cursor.data)));
});

chat.post("/:chat_id/stop", requireKey, limitPerKey, async (c) => roomResponse(c, await roomOf(c, await chatIdOf(c)).stop(callerOf(c))));

chat.post("/:chat_id/approvals/:approval_id", requireKey, limitPerKey, requireJson, answerApproval);

/** The conversation the service keeps (`history: "server"`), its images, and deleting it. */
chat.get("/:chat_id/messages", requireKey, limitPerKey, async (c) => {
  const chatId = await chatIdOf(c);
  return roomResponse(c, await roomOf(c, chatId).messages(callerOf(c), chatId, "contract"));
});

chat.get("/:chat_id/files/:file_id", requireKey, limitPerKey, async (c) => {
  const file = await fileResponse(c.env.CHAT_FILES, c.var.client, await chatIdOf(c), c.req.param("file_id"));
  if (!file) throw new ApiError(404, "No such file in this chat for this key");
  return file;
});

chat.delete("/:chat_id", requireKey, limitPerKey, async (c) => {
  const chatId = await chatIdOf(c);
  return roomResponse(c, await roomOf(c, chatId).remove(callerOf(c), chatId));
});
