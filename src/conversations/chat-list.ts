/**
 * `ChatList`: the Durable Object (SQLite-backed) that lists one user's chats kept by the service
 * under one API key: one object per key and `user_id` (`listName`), so no single object holds
 * every chat of a key, whose one key may carry every user of an app. Each chat's ChatRoom keeps
 * its entry current (title, last change, number of messages) and removes it when the chat goes.
 * Newest first, paged by an opaque cursor.
 */
import { DurableObject } from "cloudflare:workers";
import { hashId } from "../security/digest";

export type ChatEntry = {
  chat_id: string;
  title: string;
  /** Milliseconds since the epoch. */
  updated_at: number;
  messages: number;
};

export interface ChatPage {
  chats: (Omit<ChatEntry, "updated_at"> & { updated_at: string })[];
  next_cursor: string | null;
}

/** The list's object name: the caller's scope and the user, hashed so neither appears in it. */
export function listName(scope: string, userId: string): Promise<string> {
  return hashId(`${scope}\n${userId}`, 64);
}

export class ChatList extends DurableObject<Env> {
  #ready = false;

  /** The table; `read`: undefined when it was never made (reading writes nothing). */
  #db(read?: "read"): SqlStorage | undefined {
    const sql = this.ctx.storage.sql;
    if (!this.#ready && read) {
      const exists = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chats'").toArray().length > 0;
      if (!exists) return undefined;
      this.#ready = true;
    }
    if (!this.#ready) {
      sql.exec(`CREATE TABLE IF NOT EXISTS chats (
        chat_id TEXT PRIMARY KEY, title TEXT NOT NULL, updated_at INTEGER NOT NULL, messages INTEGER NOT NULL) WITHOUT ROWID`);
      this.#ready = true;
    }
    return sql;
  }

  upsert(entry: ChatEntry): void {
    this.#db()!.exec(
      "INSERT OR REPLACE INTO chats (chat_id, title, updated_at, messages) VALUES (?, ?, ?, ?)",
      entry.chat_id, entry.title, entry.updated_at, entry.messages,
    );
  }

  async remove(chatId: string): Promise<void> {
    const db = this.#db("read");
    if (!db) return;
    db.exec("DELETE FROM chats WHERE chat_id = ?", chatId);
    if (!db.exec("SELECT 1 FROM chats LIMIT 1").toArray().length) {
      await this.ctx.storage.deleteAll();
      this.#ready = false;
    }
  }

  /** At most `limit` chats, newest first, after `cursor` (from the previous page); `null` when the cursor is not one of ours. */
  list(limit: number, cursor?: string): ChatPage | null {
    let after: [number, string] | undefined;
    if (cursor) {
      after = decodeCursor(cursor);
      if (!after) return null;
    }
    const db = this.#db("read");
    if (!db) return { chats: [], next_cursor: null };
    const rows = db
      .exec<ChatEntry>(
        after
          ? "SELECT chat_id, title, updated_at, messages FROM chats WHERE updated_at < ? OR (updated_at = ? AND chat_id > ?) ORDER BY updated_at DESC, chat_id ASC LIMIT ?"
          : "SELECT chat_id, title, updated_at, messages FROM chats ORDER BY updated_at DESC, chat_id ASC LIMIT ?",
        ...(after ? [after[0], after[0], after[1], limit + 1] : [limit + 1]),
      )
      .toArray();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      chats: page.map((row) => ({ ...row, updated_at: new Date(row.updated_at).toISOString() })),
      next_cursor: rows.length > limit && last ? encodeCursor(last.updated_at, last.chat_id) : null,
    };
  }
}

function encodeCursor(updatedAt: number, chatId: string): string {
  return btoa(JSON.stringify([updatedAt, chatId])).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const value: unknown = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && typeof value[1] === "string") return value as [number, string];
  } catch {
    // not ours
  }
  return undefined;
}
