/**
 * Where a ChatRoom keeps its runs' events: SQLite in the Durable Object, written sparingly, since
 * rows written are what Cloudflare bills. Per scope (a caller's key) the latest run's events as
 * NDJSON text in part rows of the room's table (src/resume/room-table.ts, `n` from `RUN_PARTS`):
 * what accumulated since the last write, at most one row per
 * `FLUSH_MS` while the run streams, and the rest when it ends. Nothing else is stored: the run's
 * request id is its events', it has ended when its last event is terminal, and it expires
 * `RESUME_TTL_S` after that event's `timestamp`. A part larger than a row may hold (Cloudflare's
 * limit is 2 MB) is cut into several.
 *
 * A 10-second answer: the table (2 rows, on the object's first use), 6 parts, and 6 rows deleted
 * at its expiry: 14 rows written in all (`npm run bench`, figure 4).
 */
import type { RunEvent } from "../schema/events";
import { RUN_PARTS, type RoomTable } from "./room-table";

/** What is kept may lag the live stream by at most this long (the contract allows 2 s). */
export const FLUSH_MS = 1_900;
/** Characters per part row: at most 3 bytes each in UTF-8, so a row stays under 1.5 MB. */
const PART_CHARS = 512 * 1024;

export class EventStore {
  constructor(private readonly table: RoomTable) {}

  /** Appends events as part `partNo`, or several parts when they are too large for one row; returns the next part's number. */
  append(scope: string, partNo: number, events: readonly RunEvent[]): number {
    let text = "";
    for (const event of events) text += JSON.stringify(event) + "\n";
    const db = this.table.db();
    let n = partNo;
    for (let at = 0; at < text.length; ) {
      let end = Math.min(text.length, at + PART_CHARS);
      // Never between the two halves of a surrogate pair.
      if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
      db.exec("INSERT INTO room_rows (scope, n, text) VALUES (?, ?, ?)", scope, RUN_PARTS + n++, text.slice(at, end));
      at = end;
    }
    return n;
  }

  /** The scopes that have events kept. */
  scopes(): string[] {
    return this.table.db().exec<{ scope: string }>("SELECT DISTINCT scope FROM room_rows WHERE n < 0").toArray().map((row) => row.scope);
  }

  /** The events kept for `scope`, in order, and the number of its parts (none: nothing kept). */
  events(scope: string): { events: RunEvent[]; parts: number } {
    let text = "";
    let parts = 0;
    for (const row of this.table.db().exec<{ text: string }>("SELECT text FROM room_rows WHERE scope = ? AND n < 0 ORDER BY n", scope)) {
      text += row.text;
      parts++;
    }
    const events: RunEvent[] = [];
    for (const line of text.split("\n")) if (line) events.push(JSON.parse(line) as RunEvent);
    return { events, parts };
  }

  /** Deletes what `scope` keeps (a new run replaces the previous one; an expired run goes). */
  delete(scope: string): void {
    this.table.db().exec("DELETE FROM room_rows WHERE scope = ? AND n < 0", scope);
  }

  has(scope: string): boolean {
    return this.table.db().exec("SELECT 1 FROM room_rows WHERE scope = ? AND n < 0 LIMIT 1", scope).toArray().length > 0;
  }

  hasOtherScopes(scope: string): boolean {
    return this.table.db().exec("SELECT 1 FROM room_rows WHERE scope != ? AND n < 0 LIMIT 1", scope).toArray().length > 0;
  }
}

/** A storage write; a failure is logged (never with content) and the run goes on. */
export function stored(requestId: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    storageFailed(requestId, err);
  }
}

export function storageFailed(requestId: string, err: unknown): void {
  console.log(JSON.stringify({ level: "error", msg: "resumable storage failed", requestId, error: err instanceof Error ? err.message.slice(0, 300) : String(err) }));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
