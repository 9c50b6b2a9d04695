/**
 * Where a ChatRoom keeps its runs' events: SQLite in the Durable Object, written sparingly, since
 * rows written are what Cloudflare bills. Per scope (a caller's key) one `runs` row (its request
 * id, `running` or `ended`, when it expires) and the run's events as NDJSON text in `run_parts`
 * rows: what accumulated since the last write, at most one row per `FLUSH_MS` while the run
 * streams, and the rest when it ends. A part larger than a row may hold (Cloudflare's limit is
 * 2 MB) is cut into several. Both tables are `WITHOUT ROWID`, so a row written is one row billed
 * (no separate primary-key index).
 *
 * A 10-second answer: the run's row (1), about 6 parts, its end (1); deleting it, its parts and
 * its row: about 15 rows in all.
 */
import type { RunEvent } from "../schema/events";

/** What is kept may lag the live stream by at most this long (the contract allows 2 s). */
export const FLUSH_MS = 1_900;
/** Characters per part row: at most 3 bytes each in UTF-8, so a row stays under 1.5 MB. */
const PART_CHARS = 512 * 1024;

export type RunRow = {
  scope: string;
  request_id: string;
  status: "running" | "ended";
  expires_at: number | null;
};

export class EventStore {
  readonly #sql: SqlStorage;
  #ready = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** The tables, created on first use (again after `deleteAll()` dropped them). */
  #db(): SqlStorage {
    if (!this.#ready) {
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS runs (
        scope TEXT PRIMARY KEY, request_id TEXT NOT NULL, status TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID`);
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS run_parts (
        scope TEXT NOT NULL, n INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (scope, n)) WITHOUT ROWID`);
      this.#ready = true;
    }
    return this.#sql;
  }

  /** After `ctx.storage.deleteAll()`: the tables are gone, and made again on next use. */
  dropped(): void {
    this.#ready = false;
  }

  /** A new run of `scope` replaces its previous one. */
  start(scope: string, requestId: string): void {
    const db = this.#db();
    db.exec("DELETE FROM run_parts WHERE scope = ?", scope);
    db.exec("INSERT OR REPLACE INTO runs (scope, request_id, status, expires_at) VALUES (?, ?, 'running', NULL)", scope, requestId);
  }

  /** Appends events (seq `from + 1` …) as one part, or several when it is too large for one row. */
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

  end(scope: string, expiresAt: number): void {
    this.#db().exec("UPDATE runs SET status = 'ended', expires_at = ? WHERE scope = ?", expiresAt, scope);
  }

  run(scope: string): RunRow | undefined {
    return this.#db().exec<RunRow>("SELECT scope, request_id, status, expires_at FROM runs WHERE scope = ?", scope).toArray()[0];
  }

  runs(): RunRow[] {
    return this.#db().exec<RunRow>("SELECT scope, request_id, status, expires_at FROM runs").toArray();
  }

  /** The events kept for `scope`, in order, and the number of its parts. */
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

  delete(scope: string): void {
    const db = this.#db();
    db.exec("DELETE FROM run_parts WHERE scope = ?", scope);
    db.exec("DELETE FROM runs WHERE scope = ?", scope);
  }

  isEmpty(): boolean {
    return this.#db().exec("SELECT 1 FROM runs LIMIT 1").toArray().length === 0;
  }

  hasOtherScopes(scope: string): boolean {
    return this.#db().exec("SELECT 1 FROM runs WHERE scope != ? LIMIT 1", scope).toArray().length > 0;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
