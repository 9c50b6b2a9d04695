/**
 * How the CLI (scripts/chat.ts) shows what the service keeps of conversations (`history: "server"`):
 * a user's chats (`--chats`) and one chat's stored messages (`--chat ID --messages`).
 */
import type { ChatListPage, Conversation, StoredMessage } from "../../client/src";
import { stepLine } from "./chat-print";

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[0m` : text);
const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);

type Out = (text: string) => void;
const stdout: Out = (text) => process.stdout.write(text);

/** One line per chat, newest first: id, last change, number of messages, title; then how to get the next page. */
export function printChats(page: ChatListPage, query: { userId: string; limit?: number }, out: Out = stdout): void {
  const { userId, limit } = query;
  if (page.chats.length === 0) out(`no chats kept for user ${userId} under this key\n`);
  const width = Math.max(0, ...page.chats.map((c) => c.chat_id.length));
  for (const c of page.chats) {
    out(`${c.chat_id.padEnd(width)}  ${dim(c.updated_at)}  ${`${c.messages} message${c.messages === 1 ? "" : "s"}`.padEnd(12)}  ${c.title}\n`);
  }
  if (page.next_cursor) out(dim(`more: --chats --user ${userId}${limit !== undefined ? ` --limit ${limit}` : ""} --cursor ${page.next_cursor}`) + "\n");
}

/** The conversation: a header, then each message with its id (what --replace-from takes), its text and images, an answer's status and usage. */
export function printConversation(view: Conversation, options: { verbose?: boolean; out?: Out } = {}): void {
  const out = options.out ?? stdout;
  const count = `${view.messages.length} message${view.messages.length === 1 ? "" : "s"}`;
  out(`${bold(`chat ${view.chat_id}`)} · user ${view.user_id} · ${count} · updated ${view.updated_at}\n`);
  for (const message of view.messages) {
    out(`\n${header(message)}\n`);
    for (const part of message.content) {
      if (part.type === "input_image") out(`[image ${part.image_url}]\n`);
      else out(`${part.text}\n`);
    }
    if (message.role === "assistant" && message.content.length === 0) out(dim("(no answer)") + "\n");
    if (options.verbose) for (const step of message.steps) out(`  ${stepLine(step)}\n`);
  }
}

function header(message: StoredMessage): string {
  const parts = [bold(message.role), message.id, message.created_at];
  if (message.status) parts.push(message.status);
  if (message.usage) parts.push(`${message.usage.prompt_tokens} prompt + ${message.usage.completion_tokens} completion = ${message.usage.total_tokens} tokens`);
  return dim("── ") + parts.join(dim(" · "));
}
