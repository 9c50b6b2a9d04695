/**
 * A chat's conversation kept by the service (`history: "server"`), in its ChatRoom's SQLite, per
 * scope (the caller's key): one row of what the list shows (`n` 0: user, title, times, count) and
 * one row per message (`n` 1, 2, …), each a JSON document. Images are not in these rows (a row
 * holds at most 2 MB): a stored image names its file in R2 (src/conversations/files.ts). The table
 * is `WITHOUT ROWID`: a row written is one row billed.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
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
  readonly #sql: SqlStorage;
  #ready = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  #db(): SqlStorage {
    if (!this.#ready) {
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS conversation (
        scope TEXT NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (scope, n)) WITHOUT ROWID`);
      this.#ready = true;
    }
    return this.#sql;
  }

  /** After `ctx.storage.deleteAll()`: the table is gone, and made again on next use. */
  dropped(): void {
    this.#ready = false;
  }

  meta(scope: string): ConversationMeta | undefined {
    const row = this.#db().exec<{ body: string }>("SELECT body FROM conversation WHERE scope = ? AND n = 0", scope).toArray()[0];
    return row ? (JSON.parse(row.body) as ConversationMeta) : undefined;
  }

  /** Every scope's list row, for expiry. */
  metas(): { scope: string; meta: ConversationMeta }[] {
    return this.#db()
      .exec<{ scope: string; body: string }>("SELECT scope, body FROM conversation WHERE n = 0")
      .toArray()
      .map((row) => ({ scope: row.scope, meta: JSON.parse(row.body) as ConversationMeta }));
  }

  putMeta(scope: string, meta: ConversationMeta): void {
    this.#db().exec("INSERT OR REPLACE INTO conversation (scope, n, body) VALUES (?, 0, ?)", scope, JSON.stringify(meta));
  }

  /** The stored messages, in order, with their row numbers. */
  messages(scope: string): { n: number; message: StoredMessage }[] {
    return this.#db()
      .exec<{ n: number; body: string }>("SELECT n, body FROM conversation WHERE scope = ? AND n > 0 ORDER BY n", scope)
      .toArray()
      .map((row) => ({ n: row.n, message: JSON.parse(row.body) as StoredMessage }));
  }

  /** Appends messages after row `last`; returns the last row number written. */
  append(scope: string, last: number, messages: readonly StoredMessage[]): number {
    const db = this.#db();
    let n = last;
    for (const message of messages) db.exec("INSERT OR REPLACE INTO conversation (scope, n, body) VALUES (?, ?, ?)", scope, ++n, JSON.stringify(message));
    return n;
  }

  /** Drops message row `n` and every one after it (edit and regenerate). */
  truncate(scope: string, n: number): void {
    this.#db().exec("DELETE FROM conversation WHERE scope = ? AND n >= ?", scope, n);
  }

  delete(scope: string): void {
    this.#db().exec("DELETE FROM conversation WHERE scope = ?", scope);
  }

  isEmpty(): boolean {
    return this.#db().exec("SELECT 1 FROM conversation LIMIT 1").toArray().length === 0;
  }
}
