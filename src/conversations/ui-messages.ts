/**
 * A stored conversation as the Vercel AI SDK's UI messages, for `useChat({ messages })` after a
 * reload: text parts, images as file parts (at `/api/chat/{chat_id}/files/{file_id}`, which takes
 * the key), each chatapi step as a `data-step` part (its `id` the step's `message_id`, as the
 * stream sends it) and each MCP tool call as a dynamic tool part, shaped as the stream leaves them.
 */
import type { Step } from "../schema/events";
import type { StoredMessage } from "./conversation-store";

export interface UiMessage {
  id: string;
  role: "system" | "user" | "assistant";
  metadata?: Record<string, unknown>;
  parts: Record<string, unknown>[];
}

export function toUiMessages(messages: readonly StoredMessage[], chatId: string): UiMessage[] {
  return messages.map((message) => {
    if (message.role !== "assistant") {
      return {
        id: message.id,
        role: message.role,
        parts: message.content.map((part) =>
          part.type !== "input_image" ? { type: "text", text: part.text }
          : "file_id" in part ? { type: "file", mediaType: part.media_type, url: `/api/chat/${chatId}/files/${part.file_id}` }
          : { type: "file", mediaType: "image/*", url: part.image_url },
        ),
      };
    }
    const steps = message.steps ?? [];
    const text = message.content.map((part) => ("text" in part ? part.text : "")).join("");
    return {
      id: message.id,
      role: "assistant",
      metadata: { requestId: message.id, ...(message.usage ? { usage: message.usage } : {}), status: message.status },
      parts: [
        ...steps.map((step) => ({ type: "data-step", id: step.message_id, data: step })),
        ...steps.flatMap(toolPart),
        ...(text ? [{ type: "text", text, state: "done" }] : []),
      ],
    };
  });
}

/** An MCP tool call's final state as the stream's dynamic tool part ends up. */
function toolPart(step: Step): Record<string, unknown>[] {
  if (step.tool_type !== "MCP") return [];
  let call: { tool?: unknown; arguments?: unknown; approval?: unknown };
  try {
    call = JSON.parse(step.parameters) as typeof call;
  } catch {
    return [];
  }
  if (typeof call.tool !== "string") return []; // the tool listing
  const base = { type: "dynamic-tool", toolName: call.tool, toolCallId: step.message_id, input: call.arguments ?? {} };
  if (step.tool_status === "Success") return [{ ...base, state: "output-available", output: step.observation ?? "" }];
  if (call.approval === "denied" || call.approval === "timed_out") return [{ ...base, state: "output-denied" }];
  return [{ ...base, state: "output-error", errorText: step.observation ?? "failed" }];
}
