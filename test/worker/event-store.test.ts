/**
 * Where a ChatRoom keeps its runs' events (src/resume/event-store.ts), in a Durable Object's own
 * SQLite storage (runInDurableObject): each scope's events as NDJSON parts read back in order; a
 * part too large for one row cut into rows of at most 512 Ki characters, never inside a surrogate
 * pair; one row per part in a WITHOUT ROWID table; deleting one scope keeps the others; the table
 * made again after `deleteAll()`.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventStore } from "../../src/resume/event-store";
import { RoomTable, RUN_PARTS } from "../../src/resume/room-table";
import type { RunEvent } from "../../src/schema/events";

/** Runs `use` with a fresh store in a fresh ChatRoom's storage. */
function inRoom<R>(use: (store: EventStore, state: DurableObjectState, table: RoomTable) => R | Promise<R>): Promise<R> {
  const stub = env.CHAT_ROOMS.get(env.CHAT_ROOMS.idFromName(`store_${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_instance, state) => {
    const table = new RoomTable(state.storage.sql);
    return use(new EventStore(table), state, table);
  });
}

const delta = (text: string, requestId = "req_store"): RunEvent => ({ type: "delta", requestId, message_id: "msg_1", text });
const done = (requestId = "req_store"): RunEvent => ({ type: "done", code: 200, message: "ok", timestamp: new Date(0).toISOString(), requestId, data: { steps: [] } });
const rows = (state: DurableObjectState, scope: string) =>
  state.storage.sql
    .exec<{ n: number; text: string }>("SELECT n, text FROM room_rows WHERE scope = ? AND n < 0 ORDER BY n", scope)
    .toArray()
    .map((row) => ({ ...row, n: row.n - RUN_PARTS }));

describe("EventStore", () => {
  it("reads back each scope's events in order, one row per part, the part numbers going on from the last", async () => {
    await inRoom((store, state, table) => {
      expect(store.events("a")).toEqual({ events: [], parts: 0 });
      expect(table.isEmpty()).toBe(true);
      const first = [delta("one"), delta("two")];
      expect(store.append("a", 0, first)).toBe(1);
      expect(store.append("a", 1, [delta("three"), done()])).toBe(2);
      expect(store.append("b", 0, [delta("other", "req_b")])).toBe(1);
      expect(store.events("a")).toEqual({ events: [...first, delta("three"), done()], parts: 2 });
      expect(store.events("b")).toEqual({ events: [delta("other", "req_b")], parts: 1 });
      expect(rows(state, "a").map((row) => row.n)).toEqual([0, 1]);
      expect(rows(state, "a")[0].text).toBe(first.map((e) => JSON.stringify(e) + "\n").join(""));
      expect(store.scopes().sort()).toEqual(["a", "b"]);
      expect(store.hasOtherScopes("a")).toBe(true);
      expect(table.isEmpty()).toBe(false);
    });
  });

  it("keeps its rows in one WITHOUT ROWID table", async () => {
    const sql = await inRoom((store, state) => {
      store.append("a", 0, [delta("x")]);
      return state.storage.sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'room_rows'").one().sql;
    });
    expect(sql).toMatch(/PRIMARY KEY \(scope, n\)\) WITHOUT ROWID$/);
  });

  it("cuts a part too large for one row into rows of at most 512 Ki characters, never between the halves of a surrogate pair", async () => {
    // 300,000 emoji: 600,000 UTF-16 code units, two each. The line's 69 characters before them put
    // the 512 Ki mark between the halves of a pair.
    const text = "😀".repeat(300_000);
    const events = [delta(text), done()];
    await inRoom((store, state) => {
      const next = store.append("big", 0, events);
      const kept = rows(state, "big");
      expect(next).toBe(kept.length);
      expect(kept.length).toBe(2);
      for (const row of kept) {
        expect(row.text.length).toBeLessThanOrEqual(512 * 1024);
        const last = row.text.charCodeAt(row.text.length - 1);
        expect(last >= 0xd800 && last <= 0xdbff, "a row ends with the first half of a pair").toBe(false);
      }
      expect(store.events("big")).toEqual({ events, parts: 2 });
    });
  });

  it("deletes one scope's events and keeps the others'", async () => {
    await inRoom((store, _state, table) => {
      store.append("a", 0, [delta("a")]);
      store.append("b", 0, [delta("b")]);
      store.delete("a");
      expect(store.events("a")).toEqual({ events: [], parts: 0 });
      expect(store.scopes()).toEqual(["b"]);
      expect(store.hasOtherScopes("b")).toBe(false);
      store.delete("b");
      expect(table.isEmpty()).toBe(true);
    });
  });

  it("makes its table again after deleteAll() (dropped)", async () => {
    await inRoom(async (store, state, table) => {
      store.append("a", 0, [delta("before")]);
      await state.storage.deleteAll();
      table.dropped();
      expect(table.isEmpty()).toBe(true);
      expect(store.append("a", 0, [delta("after")])).toBe(1);
      expect(store.events("a")).toEqual({ events: [delta("after")], parts: 1 });
    });
  });
});
