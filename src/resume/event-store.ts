/**
 * Where a ChatRoom keeps its runs' events: SQLite in the Durable Object, written sparingly, since
 * rows written are what Cloudflare bills. Per scope (a caller's key) the latest run's events as
 * NDJSON text in `run_parts` rows: what accumulated since the last write, at most one row per
 * `FLUSH_MS` while the run streams, and the rest when it ends. Nothing else is stored: the run's
 * request id is its events', it has ended when its last event is terminal, and it expires
 * `RESUME_TTL_S` after that event's `timestamp`. A part larger than a row may hold (Cloudflare's
 * limit is 2 MB) is cut into several. The table is `WITHOUT ROWID`, so a row written is one row
 * billed (no separate primary-key index).
 *
 * A 10-second answer: the table (2 rows, on the object's first use), 6 parts, and 6 rows deleted
 * at its expiry: 14 rows written in all (`npm run bench`, figure 4).
 */
import type { RunEvent } from "../schema/events";

/** What is kept may lag the live stream by at most this long (the contract allows 2 s). */
export const FLUSH_MS = 1_900;
/** Characters per part row: at most 3 bytes each in UTF-8, so a row stays under 1.5 MB. */
const PART_CHARS = 512 * 1024;

export class EventStore {
  readonly #sql: SqlStorage;
  #ready = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** The table, created on first use (again after `deleteAll()` dropped it). */
  #db(): SqlStorage {
    if (!this.#ready) {
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS run_parts (
        scope TEXT NOT NULL, n INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (scope, n)) WITHOUT ROWID`);
      this.#ready = true;
    }
    return this.#sql;
  }

  /** After `ctx.storage.deleteAll()`: the table is gone, and made again on next use. */
  dropped(): void {
    this.#ready = false;
  }

  /** Appends events as part `partNo`, or several parts when they are too large for one row; returns the next part's number. */
  append(scope: string, partNo: number, events: readonly RunEvent[]): number {
    let text = "";
    for (const event of events) text += JSON.stringify(event) + "\n";
    const db = this.#db();
    let n = partNo;
    for (let at = 0; at < text.length; ) {
      let end = Math.min(text.length, at + PART_CHARS);
      // Never between the two halves of a surrogate pair.
      if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
      db.exec("INSERT INTO run_parts (scope, n, text) VALUES (?, ?, ?)", scope, n++, text.slice(at, end));
      at = end;
    }
    return n;
  }

  /** The scopes that have events kept. */
  scopes(): string[] {
    return this.#db().exec<{ scope: string }>("SELECT DISTINCT scope FROM run_parts").toArray().map((row) => row.scope);
  }

  /** The events kept for `scope`, in order, and the number of its parts (none: nothing kept). */
  events(scope: string): { events: RunEvent[]; parts: number } {
    let text = "";
    let parts = 0;
    for (const row of this.#db().exec<{ text: string }>("SELECT text FROM run_parts WHERE scope = ? ORDER BY n", scope)) {
      text += row.text;
      parts++;
    }
    const events: RunEvent[] = [];
    for (const line of text.split("\n")) if (line) events.push(JSON.parse(line) as RunEvent);
    return { events, parts };
  }

  /** Deletes what `scope` keeps (a new run replaces the previous one; an expired run goes). */
  delete(scope: string): void {
    this.#db().exec("DELETE FROM run_parts WHERE scope = ?", scope);
  }

  has(scope: string): boolean {
    return this.#db().exec("SELECT 1 FROM run_parts WHERE scope = ? LIMIT 1", scope).toArray().length > 0;
  }

  isEmpty(): boolean {
    return this.#db().exec("SELECT 1 FROM run_parts LIMIT 1").toArray().length === 0;
  }

  hasOtherScopes(scope: string): boolean {
    return this.#db().exec("SELECT 1 FROM run_parts WHERE scope != ? LIMIT 1", scope).toArray().length > 0;
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
