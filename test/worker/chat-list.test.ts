/**
 * A user's ChatList (src/conversations/chat-list.ts) inside its Durable Object: newest first, chats
 * changed within the same millisecond in the order they changed, paged by cursor without a chat
 * lost or repeated; reading an empty list writes nothing.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ChatList } from "../../src/conversations/chat-list";

const list = () => env.CHAT_LISTS.get(env.CHAT_LISTS.idFromName(`list_${crypto.randomUUID()}`));

describe("ChatList", () => {
  it("lists chats changed in the same millisecond in the order they changed, and pages through them one by one", async () => {
    await runInDurableObject(list(), (instance: ChatList) => {
      const at = Date.UTC(2026, 0, 1);
      for (const id of ["c_b", "c_a", "c_c"]) instance.upsert({ chat_id: id, title: id, updated_at: at, messages: 2 });
      instance.upsert({ chat_id: "c_old", title: "old", updated_at: at - 1, messages: 2 });
      // Changing c_b again makes it the newest.
      instance.upsert({ chat_id: "c_b", title: "c_b", updated_at: at, messages: 4 });
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const got = instance.list(1, cursor)!;
        seen.push(...got.chats.map((c) => c.chat_id));
        if (!got.next_cursor) break;
        cursor = got.next_cursor;
      }
      expect(seen).toEqual(["c_b", "c_c", "c_a", "c_old"]);
      expect(instance.list(10)!.chats[0]).toEqual({ chat_id: "c_b", title: "c_b", updated_at: new Date(at).toISOString(), messages: 4 });
    });
  });

  it("reads an empty list without making its table (no row written), and refuses a cursor that is not its own", async () => {
    await runInDurableObject(list(), (instance: ChatList, state) => {
      expect(instance.list(20)).toEqual({ chats: [], next_cursor: null });
      expect(state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'chats'").toArray()).toEqual([]);
      expect(instance.list(20, "not-a-cursor")).toBeNull();
    });
  });
});
