/**
 * The Vercel AI SDK's chat request (`DefaultChatTransport`: `id`, `messages` of UI messages,
 * `trigger`, `messageId`, plus extra body fields such as `user_id`), as `POST /api/ui/chat`
 * validates it. Its parts are checked where they are mapped to a chat (src/ui/ui-request.ts).
 */
import * as z from "zod";
import { MAX_CONTENT_PARTS, USER_ID_MAX } from "./limits";
import { ChatId, ModelOptions } from "./request";

const UiPart = z.looseObject({ type: z.string() });
const UiMessage = z.looseObject({
  id: z.string().optional(),
  role: z.enum(["system", "user", "assistant"]),
  parts: z.array(UiPart).max(MAX_CONTENT_PARTS),
});

export const UiChatRequest = z.looseObject({
  id: ChatId,
  messages: z.array(UiMessage).min(1).optional(),
  /**
   * Instead of `messages`: the one new message (the AI SDK's message persistence pattern, through
   * `prepareSendMessagesRequest`); the conversation before it is the one the service keeps.
   */
  message: UiMessage.optional(),
  trigger: z.enum(["submit-message", "regenerate-message"]).optional(),
  messageId: z.string().optional(),
  user_id: z.string().min(1).max(USER_ID_MAX).optional(),
  /** How a tool call that waits for approval is shown: the AI SDK's approval flow (ai 6 and 7), or a `data-approval` part (ai 5). */
  approval_flow: z.enum(["ai-sdk", "data"]).optional(),
  /** Model parameters, an extra body field as `user_id` is: the same as /api/chat's `options`. */
  options: ModelOptions.optional(),
});
export type UiChatRequest = z.infer<typeof UiChatRequest>;
