/**
 * What the model is sent of a stored conversation: every stored message as it was, images as the
 * same `data:` URLs (read back from R2), an answer's tool calls and results as the calls and
 * results they were. When the stored text passes `HISTORY_MAX_CHARS`, or its images with the new
 * ones pass what one request may carry, the oldest turns (a user message and what answered it)
 * are left out of the input, not deleted; system messages never are.
 */
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { StoredMessage, StoredPart } from "./conversation-store";

export interface HistoryWindow {
  /** The stored conversation as the model is sent it. */
  messages: ChatCompletionMessageParam[];
  /** Stored messages sent, and left out. */
  sent: number;
  leftOut: number;
}

export interface HistoryBudget {
  maxChars: number;
  /** Images the stored part may add to the request's own. */
  maxImages: number;
}

/** Reads a stored image back as its `data:` URL (undefined when it is gone). */
export type ImageReader = (fileId: string, mediaType: string) => Promise<string | undefined>;

export async function modelHistory(stored: readonly StoredMessage[], budget: HistoryBudget, readImage: ImageReader): Promise<HistoryWindow> {
  // Turns, newest first: a user message and the messages after it up to the next one.
  const turns: number[][] = [];
  let current: number[] | undefined;
  stored.forEach((message, i) => {
    if (message.role === "system") return;
    if (message.role === "user" || !current) turns.push((current = []));
    current.push(i);
  });
  let chars = 0;
  let images = 0;
  const kept = new Set<number>();
  stored.forEach((message, i) => message.role === "system" && kept.add(i));
  for (const turn of turns.reverse()) {
    const size = turn.reduce((sum, i) => sum + charsOf(stored[i]), 0);
    const pictures = turn.reduce((sum, i) => sum + imagesOf(stored[i]), 0);
    if (chars + size > budget.maxChars || images + pictures > budget.maxImages) break;
    chars += size;
    images += pictures;
    for (const i of turn) kept.add(i);
  }
  const messages: ChatCompletionMessageParam[] = [];
  let sent = 0;
  for (const [i, message] of stored.entries()) {
    if (!kept.has(i)) continue;
    sent++;
    messages.push(...(await toModel(message, readImage)));
  }
  return { messages, sent, leftOut: stored.length - sent };
}

async function toModel(message: StoredMessage, readImage: ImageReader): Promise<ChatCompletionMessageParam[]> {
  const text = message.content.filter((p): p is Extract<StoredPart, { text: string }> => "text" in p).map((p) => ({ type: "text" as const, text: p.text }));
  if (message.role === "system") return [{ role: "system", content: text }];
  if (message.role === "assistant") {
    const answer = finalText(message);
    return [...(message.transcript ?? []), ...(answer ? [{ role: "assistant" as const, content: answer }] : [])];
  }
  const content: ChatCompletionContentPart[] = [];
  for (const part of message.content) {
    if (part.type !== "input_image") {
      content.push({ type: "text", text: part.text });
      continue;
    }
    const url = "file_id" in part ? await readImage(part.file_id, part.media_type) : part.image_url;
    if (url === undefined) content.push({ type: "text", text: "[an image of this message is no longer stored]" });
    else content.push({ type: "image_url", image_url: part.detail ? { url, detail: part.detail } : { url } });
  }
  return [{ role: "user", content }];
}

/**
 * An answer's last round: its stored text holds every round's, and the rounds that called tools
 * are already in its transcript with their own text, which the model must not get twice.
 */
function finalText(message: StoredMessage): string {
  const answer = message.content.map((part) => ("text" in part ? part.text : "")).join("");
  let earlier = 0;
  for (const entry of message.transcript ?? []) if (entry.role === "assistant" && typeof entry.content === "string") earlier += entry.content.length;
  return answer.slice(earlier);
}

function charsOf(message: StoredMessage): number {
  if (message.role === "assistant") return finalText(message).length + transcriptChars(message);
  let n = 0;
  for (const part of message.content) if ("text" in part) n += part.text.length;
  return n;
}

function transcriptChars(message: StoredMessage): number {
  let n = 0;
  for (const entry of message.transcript ?? []) {
    if (typeof entry.content === "string") n += entry.content.length;
    if (entry.role === "assistant") for (const call of entry.tool_calls ?? []) if (call.type === "function") n += call.function.arguments.length;
  }
  return n;
}

function imagesOf(message: StoredMessage): number {
  return message.content.filter((part) => part.type === "input_image").length;
}
