/**
 * One lazily opened MCP connection, reused for every request made through it. When the server
 * answers 404 to a request that carried a session id, the session has expired: re-initialise
 * once and retry (MCP spec, Streamable HTTP "Session Management"). A connection that broke because
 * we refused its event stream (McpConnection.fault) reports that error and is replaced on next use.
 *
 * Holds I/O objects: on Workers, one McpSession belongs to one incoming request.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connectMcp, type ConnectOptions, type McpConnection } from "./connect";
import { httpStatusOf } from "./errors";
import { raceSignal } from "./signals";

export type SessionOptions = Omit<ConnectOptions, "signal">;

export class McpSession {
  readonly #options: SessionOptions;
  #connection: Promise<McpConnection> | undefined;
  #current: McpConnection | undefined;
  #closed = false;

  constructor(options: SessionOptions) {
    this.#options = options;
  }

  /** Runs `fn` with a connected client (connecting first if needed). */
  async run<T>(fn: (client: Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let connection = await this.connection(signal);
    if (connection.fault()) {
      await this.#drop(connection);
      connection = await this.connection(signal);
    }
    try {
      return await fn(connection.client);
    } catch (error) {
      const fault = connection.fault();
      if (fault) {
        await this.#drop(connection);
        throw fault;
      }
      if (httpStatusOf(error) !== 404 || !connection.sessionId() || signal?.aborted) throw error;
      await this.#drop(connection);
      const fresh = await this.connection(signal);
      return fn(fresh.client);
    }
  }

  /** The open connection, opening it on first use. A failed attempt is not kept. */
  connection(signal?: AbortSignal): Promise<McpConnection> {
    if (this.#closed) return Promise.reject(new Error("MCP session closed"));
    if (!this.#connection) {
      const pending = connectMcp({ ...this.#options, signal });
      this.#connection = pending;
      pending.then(
        (c) => {
          if (this.#connection === pending) this.#current = c;
        },
        () => {
          if (this.#connection === pending) this.#connection = undefined;
        },
      );
    }
    return raceSignal(this.#connection, signal);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#connection;
    this.#connection = this.#current = undefined;
    if (pending) await pending.then((c) => c.close()).catch(() => {});
  }

  async #drop(connection: McpConnection): Promise<void> {
    // A concurrent caller may have replaced it already; only forget the one that expired.
    if (this.#current === connection) this.#connection = this.#current = undefined;
    // The server has already dropped the session: no DELETE, just release the transport.
    await connection.client.close().catch(() => {});
  }
}
