/**
 * A chat's conversation kept by the service (`history: "server"`), in its ChatRoom's table
 * (src/resume/room-table.ts), per scope (the caller's key): one row per message (`n` 1, 2, …),
 * each a JSON document that also names its chat and user; what the list shows (title, times,
 * count) is derived from them, so a turn writes its messages and nothing else here. Images are not
 * in these rows (a row holds at most 2 MB): a stored image names its file in R2
 * (src/conversations/files.ts).
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { RoomTable } from "../resume/room-table";
import type { Step, Usage } from "../schema/events";

export type StoredPart =
  | { type: "input_text"; text: string }
  | { type: "output_text"; text: string }
  /** A `data:` image kept in R2 under `file_id`; an `https:` image kept as its URL. */
  | { type: "input_image"; file_id: string; media_type: string; detail?: "auto" | "low" | "high" }
  | { type: "input_image"; image_url: string; detail?: "auto" | "low" | "high" };

export type RunStatus = "done" | "stopped" | "error";

export interface StoredMessage {
  id: string;
  chat_id: string;
  user_id: string;
  role: "system" | "user" | "assistant";
  content: StoredPart[];
  created_at: number;
  /** An answer's: the tool calls and results the model saw before it, as it saw them. */
  transcript?: ChatCompletionMessageParam[];
  steps?: Step[];
  usage?: Usage | null;
  status?: RunStatus;
}

export interface ConversationMeta {
  chat_id: string;
  user_id: string;
  title: string;
  created_at: number;
  updated_at: number;
  /** Stored messages. */
  messages: number;
}

export class ConversationStore {
  constructor(private readonly table: RoomTable) {}

  /** The stored messages, in order, with their row numbers. */
  messages(scope: string): { n: number; message: StoredMessage }[] {
    return this.table
      .db()
      .exec<{ n: number; text: string }>("SELECT n, text FROM room_rows WHERE scope = ? AND n > 0 ORDER BY n", scope)
      .toArray()
      .map((row) => ({ n: row.n, message: JSON.parse(row.text) as StoredMessage }));
  }

  /** Each scope's latest message (what the chat's list row and its expiry are made of). */
  latest(): { scope: string; message: StoredMessage }[] {
    return this.table
      .db()
      .exec<{ scope: string; text: string }>(
        "SELECT r.scope, r.text FROM room_rows r JOIN (SELECT scope, MAX(n) AS n FROM room_rows WHERE n > 0 GROUP BY scope) m ON r.scope = m.scope AND r.n = m.n",
      )
      .toArray()
      .map((row) => ({ scope: row.scope, message: JSON.parse(row.text) as StoredMessage }));
  }

  /** Appends messages after row `last`; returns the last row number written. */
  append(scope: string, last: number, messages: readonly StoredMessage[]): number {
    const db = this.table.db();
    let n = last;
    for (const message of messages) db.exec("INSERT OR REPLACE INTO room_rows (scope, n, text) VALUES (?, ?, ?)", scope, ++n, JSON.stringify(message));
    return n;
  }

  /** Drops message row `n` and every one after it (edit and regenerate). */
  truncate(scope: string, n: number): void {
    this.table.db().exec("DELETE FROM room_rows WHERE scope = ? AND n >= ?", scope, Math.max(1, n));
  }

  delete(scope: string): void {
    this.table.db().exec("DELETE FROM room_rows WHERE scope = ? AND n > 0", scope);
  }
}

/** What the list shows of a chat, from its messages. */
export function metaOf(messages: readonly StoredMessage[]): ConversationMeta | undefined {
  const first = messages[0];
  const last = messages.at(-1);
  if (!first || !last) return undefined;
  const user = [...messages].reverse().find((m) => m.role === "user") ?? last;
  return { chat_id: last.chat_id, user_id: user.user_id, title: titleOf(messages), created_at: first.created_at, updated_at: last.created_at, messages: messages.length };
}

const TITLE_CHARS = 80;

/** The first user text, cut to 80 characters. */
export function titleOf(messages: readonly StoredMessage[]): string {
  for (const message of messages) {
    if (message.role !== "user") continue;
    const text = message.content.find((p): p is Extract<StoredPart, { type: "input_text" }> => p.type === "input_text" && p.text.trim() !== "");
    if (text) return [...text.text.trim()].slice(0, TITLE_CHARS).join("");
  }
  return "";
}
