/**
 * Size limits of a validated chat request, each a configurable setting and an envelope that names
 * the field: a text longer than `MAX_TEXT_CHARS` is a 413, like an image too large. Too many
 * messages (`MAX_QUERY_ITEMS`, a 400 like too many images) is refused before the schema, by
 * src/request/validate.ts; the UI dialect's query never has more messages than its request. `user_id` keeps the contract's 1–128
 * characters (src/schema/request.ts); image count and size are checked by src/request/images.ts.
 */
import type { Config } from "../config";
import { ApiError, fieldError, type FieldPath } from "../errors";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ChatRequest } from "../schema/request";

export function checkLimits(request: ChatRequest, limits: Config["limits"]): void {
  const { query } = request;
  for (let i = 0; i < query.length; i++) {
    const { content } = query[i];
    if (typeof content === "string") {
      checkText(content, ["query", i, "content"], limits.maxTextChars);
      continue;
    }
    for (let j = 0; j < content.length; j++) {
      const part = content[j];
      if ("text" in part) checkText(part.text, ["query", i, "content", j, "text"], limits.maxTextChars);
    }
  }
}

function checkText(text: string, field: FieldPath, max: number): void {
  if (text.length > max) throw fieldError(413, field, `${text.length} characters, more than the ${max} allowed (MAX_TEXT_CHARS)`);
}

/**
 * The same bounds on what the model is sent, where a dialect adds to the query (the AI SDK's
 * earlier tool calls and results): the number of messages upstream, and every text in them (a
 * tool result, a call's arguments). `origins[i]` is the request field message `i` came from.
 */
export function checkModelInput(messages: ChatCompletionMessageParam[], origins: readonly FieldPath[], limits: Config["limits"]): void {
  if (messages.length > limits.maxQueryItems) {
    throw new ApiError(400, `messages: ${messages.length} messages for the model (each tool call and result counts), more than the ${limits.maxQueryItems} allowed (MAX_QUERY_ITEMS)`);
  }
  messages.forEach((message, i) => {
    const field = origins[i] ?? ["messages", i];
    const { content } = message;
    if (typeof content === "string") checkText(content, message.role === "tool" ? [...field, "output"] : field, limits.maxTextChars);
    if (message.role === "assistant") {
      for (const call of message.tool_calls ?? []) {
        if (call.type === "function") checkText(call.function.arguments, [...field, "input"], limits.maxTextChars);
      }
    }
  });
}
