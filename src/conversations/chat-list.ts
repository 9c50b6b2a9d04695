/**
 * `ChatList`: the Durable Object (SQLite-backed) that lists one user's chats kept by the service
 * under one API key: one object per key and `user_id` (`listName`), so no single object holds
 * every chat of a key, whose one key may carry every user of an app. Each chat's ChatRoom keeps
 * its entry current (title, last change, number of messages) and removes it when the chat goes.
 * Newest first (by last change, then by the order of the changes), paged by an opaque cursor.
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
        chat_id TEXT PRIMARY KEY, title TEXT NOT NULL, updated_at INTEGER NOT NULL, messages INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID`);
      this.#ready = true;
    }
    return sql;
  }

  /** The chat's entry, newest of the list: `seq` orders chats changed within the same millisecond. */
  upsert(entry: ChatEntry): void {
    this.#db()!.exec(
      "INSERT OR REPLACE INTO chats (chat_id, title, updated_at, messages, seq) VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM chats))",
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
    let after: [number, number] | undefined;
    if (cursor) {
      after = decodeCursor(cursor);
      if (!after) return null;
    }
    const db = this.#db("read");
    if (!db) return { chats: [], next_cursor: null };
    const rows = db
      .exec<ChatEntry & { seq: number }>(
        after
          ? "SELECT chat_id, title, updated_at, messages, seq FROM chats WHERE updated_at < ? OR (updated_at = ? AND seq < ?) ORDER BY updated_at DESC, seq DESC LIMIT ?"
          : "SELECT chat_id, title, updated_at, messages, seq FROM chats ORDER BY updated_at DESC, seq DESC LIMIT ?",
        ...(after ? [after[0], after[0], after[1], limit + 1] : [limit + 1]),
      )
      .toArray();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      chats: page.map(({ seq: _seq, ...row }) => ({ ...row, updated_at: new Date(row.updated_at).toISOString() })),
      next_cursor: rows.length > limit && last ? encodeCursor(last.updated_at, last.seq) : null,
    };
  }
}

function encodeCursor(updatedAt: number, seq: number): string {
  return btoa(JSON.stringify([updatedAt, seq])).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): [number, number] | undefined {
  try {
    const value: unknown = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && Number.isInteger(value[1])) return value as [number, number];
  } catch {
    // not ours
  }
  return undefined;
}
