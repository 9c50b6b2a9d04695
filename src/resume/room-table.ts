/**
 * The one SQLite table a ChatRoom keeps (`WITHOUT ROWID`: a row written is one row billed, no
 * separate primary-key index), shared by what it stores, per scope (the caller's key), told apart
 * by the row number `n`:
 * - `n < 0`: the latest run's events, in parts (src/resume/event-store.ts), from `RUN_PARTS`;
 * - `n > 0`: a conversation kept by the service, one message a row (src/conversations).
 * One table, made on first use: creating a table is itself billed (2 rows).
 */
export const RUN_PARTS = -(2 ** 40);

export class RoomTable {
  readonly #sql: SqlStorage;
  #ready = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** The table, made on first use (again after `deleteAll()` dropped it). */
  db(): SqlStorage {
    if (!this.#ready) {
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS room_rows (
        scope TEXT NOT NULL, n INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (scope, n)) WITHOUT ROWID`);
      this.#ready = true;
    }
    return this.#sql;
  }

  /** After `ctx.storage.deleteAll()`: the table is gone, and made again on next use. */
  dropped(): void {
    this.#ready = false;
  }

  isEmpty(): boolean {
    return this.db().exec("SELECT 1 FROM room_rows LIMIT 1").toArray().length === 0;
  }
}
