/**
 * The Vercel AI SDK dialect: `POST /api/ui/chat` takes `useChat`'s request and answers with its UI
 * message stream (src/ui); `id` is the chat's `chat_id`, so these chats are resumable:
 * `GET /api/ui/chat/{id}/stream` resumes the running one as `resume: true` expects (from its
 * start; `204` when none is running) and `POST /api/ui/chat/{id}/stop` stops it. The checks are
 * those of /api/chat, with errors naming the AI SDK's fields. A request that carries the answers to
 * the running chat's approvals (the AI SDK's approval flow) goes to its run, which goes on.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError, renameField, type FieldPath } from "../errors";
import { checkChat } from "../request/check-chat";
import { requireJson, validateUiChatRequest } from "../request/validate";
import { answerApproval, callerOf, chatIdOf, roomOf, roomResponse } from "../resume/room";
import { requireKey } from "../security/auth";
import { limitBody } from "../security/body-limit";
import { checkModelInput } from "../security/limits";
import { limitPerKey } from "../security/rate-limit";
import { approvalAnswers, fromUiRequest } from "../ui/ui-request";

export const uiChat = new Hono<AppEnv>();

uiChat.post("/", requireKey, limitPerKey, requireJson, limitBody, validateUiChatRequest, async (c) => {
  const body = c.req.valid("json");
  const answers = approvalAnswers(body);
  if (answers.length) return roomResponse(c, await roomOf(c, body.id).continue(callerOf(c), answers));
  const ui = fromUiRequest(body);
  // One message: the conversation before it is the one the service keeps; a regenerate replaces from it.
  const regenerate = body.message !== undefined && body.trigger === "regenerate-message";
  if (body.message) {
    ui.request.history = "server";
    if (regenerate && body.message.id) ui.request.replace_from = body.message.id;
  }
  let checked;
  try {
    checked = await checkChat(c, ui.request, "ui");
    checkModelInput(ui.messages, ui.origins, checked.config.limits);
  } catch (err) {
    // Errors about the chat's query name the AI SDK's field it came from.
    if (err instanceof ApiError && err.field?.[0] === "query") throw renameField(err as ApiError & { field: FieldPath }, ui.fieldOf(err.field));
    throw err;
  }
  const chat = { request: ui.request, messages: ui.messages, ids: ui.ids, imageCount: checked.imageCount, lang: checked.lang, requestId: checked.requestId };
  const approvals = body.approval_flow === "data" ? "data" : "sdk";
  return roomResponse(c, await roomOf(c, body.id).run({ ...callerOf(c), chat, format: "ui", approvals, regenerate }));
});

/** The conversation the service keeps, as UI messages for `useChat({ messages })`. */
uiChat.get("/:chat_id/messages", requireKey, limitPerKey, async (c) => roomResponse(c, await roomOf(c, await chatIdOf(c)).messages(callerOf(c), await chatIdOf(c), "ui")));

uiChat.get("/:chat_id/stream", requireKey, limitPerKey, async (c) => roomResponse(c, await roomOf(c, await chatIdOf(c)).stream(callerOf(c), "ui", 0, true)));

uiChat.post("/:chat_id/stop", requireKey, limitPerKey, async (c) => roomResponse(c, await roomOf(c, await chatIdOf(c)).stop(callerOf(c))));

uiChat.post("/:chat_id/approvals/:approval_id", requireKey, limitPerKey, requireJson, answerApproval);
