/**
 * The contract's query messages mapped to Azure chat-completions messages: `input_text` → text
 * part, `input_image` → `image_url` part (URL and `detail` untouched), `output_text` → assistant
 * text part. Strings stay strings; no text or image byte is changed.
 */
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { QueryMessage } from "../schema/request";

export function toAzureMessages(query: QueryMessage[]): ChatCompletionMessageParam[] {
  return query.map((message): ChatCompletionMessageParam => {
    if (typeof message.content === "string") return { role: message.role, content: message.content };
    switch (message.role) {
      case "system":
        return { role: "system", content: message.content.map((p) => ({ type: "text", text: p.text })) };
      case "assistant":
        return { role: "assistant", content: message.content.map((p) => ({ type: "text", text: p.text })) };
      case "user":
        return {
          role: "user",
          content: message.content.map((p): ChatCompletionContentPart =>
            p.type === "input_text"
              ? { type: "text", text: p.text }
              : { type: "image_url", image_url: p.detail ? { url: p.image_url, detail: p.detail } : { url: p.image_url } },
          ),
        };
    }
  });
}
