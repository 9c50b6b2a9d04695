/**
 * The answers of the conversation endpoints (`history: "server"`): a chat's stored conversation,
 * a user's list of chats, and the same conversation as the AI SDK's UI messages. Published in the
 * OpenAPI document (tools/build/openapi-doc.ts); the Worker builds these in src/conversations.
 */
import * as z from "zod";
import { Step, Usage } from "./events";
import { InputImagePart, InputTextPart, OutputTextPart } from "./request";

const Iso = z.string().describe("An ISO 8601 time (UTC).");

export const StoredMessageView = z.object({
  id: z.string().describe("The message's id: the client's (the AI SDK's) or one the service gave it; an answer's is its run's requestId. `replace_from` takes a user message's."),
  role: z.enum(["system", "user", "assistant"]),
  content: z.array(z.discriminatedUnion("type", [InputTextPart, InputImagePart, OutputTextPart])).describe("As in `query`; a stored image as `{\"type\":\"input_image\",\"image_url\":\"/api/chat/{chat_id}/files/{file_id}\"}`. An answer's is `[{\"type\":\"output_text\",\"text\":…}]` (empty when its run failed)."),
  steps: z.array(Step).describe("An answer's run's steps, in their final state (empty for other messages)."),
  usage: Usage.nullable(),
  status: z.enum(["done", "stopped", "error"]).nullable().describe("How an answer's run ended (null for other messages)."),
  created_at: Iso,
});

export const ConversationView = z.object({
  chat_id: z.string(),
  user_id: z.string(),
  title: z.string().describe("The first user text, cut to 80 characters."),
  created_at: Iso,
  updated_at: Iso,
  messages: z.array(StoredMessageView),
});

export const ChatListPage = z.object({
  chats: z.array(
    z.object({
      chat_id: z.string(),
      title: z.string(),
      updated_at: Iso,
      messages: z.int().describe("The number of stored messages."),
    }),
  ),
  next_cursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page."),
});

export const UiMessages = z
  .array(z.looseObject({ id: z.string(), role: z.enum(["system", "user", "assistant"]), parts: z.array(z.looseObject({ type: z.string() })) }))
  .describe("The AI SDK's UI messages (text, file, dynamic tool and data-step parts), for useChat({ messages }).");
