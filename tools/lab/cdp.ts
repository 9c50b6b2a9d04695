/**
 * A minimal DevTools-protocol client for a Worker's isolate in workerd, over the inspector port
 * Miniflare opens (`inspectorPort`), for `npm run bench`'s CPU profiles and the soak's heap figures.
 * It uses Miniflare's own fetch with a WebSocket upgrade (Node 20 has no WebSocket client without a
 * flag), loopback only.
 *
 * workerd hands a message to V8 only when the isolate next runs: a command such as
 * HeapProfiler.collectGarbage is answered after the next request to the Worker (`pump` sends one).
 */
import { fetch as miniflareFetch } from "miniflare";

interface Message {
  id?: number;
  result?: unknown;
  error?: { message: string };
}

export class Cdp {
  #next = 0;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  private constructor(private readonly socket: NonNullable<Awaited<ReturnType<typeof miniflareFetch>>["webSocket"]>) {
    socket.addEventListener("message", (event) => {
      const data = event.data;
      const message = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer)) as Message;
      const waiter = message.id !== undefined ? this.#pending.get(message.id) : undefined;
      if (!waiter) return;
      this.#pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
  }

  /** Connects to the isolate of the Worker named `worker` (Miniflare's `name`) on 127.0.0.1:`port`. */
  static async connect(port: number, worker: string): Promise<Cdp> {
    const res = await miniflareFetch(`http://127.0.0.1:${port}/core:user:${worker}`, { headers: { Upgrade: "websocket" } });
    if (!res.webSocket) throw new Error(`no DevTools WebSocket for ${worker} on port ${port} (HTTP ${res.status})`);
    res.webSocket.accept();
    return new Cdp(res.webSocket);
  }

  /** Sends a command; resolves with its result (some commands only once the isolate runs: see `pump`). */
  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Sends a command and keeps making `pump()` requests (at most 50, 100 ms apart) until it is answered. */
  async sendPumped<T = unknown>(method: string, pump: () => Promise<unknown>, params: Record<string, unknown> = {}): Promise<T> {
    let answered = false;
    const result = this.send<T>(method, params).finally(() => (answered = true));
    for (let i = 0; i < 50 && !answered; i++) {
      await pump();
      await Promise.race([result, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    return result;
  }

  close(): void {
    this.socket.close();
    for (const waiter of this.#pending.values()) waiter.reject(new Error("closed"));
    this.#pending.clear();
  }
}

/** V8's heap after a full garbage collection, in bytes (`pump` makes the isolate run: e.g. GET /health). */
export async function heapAfterGc(cdp: Cdp, pump: () => Promise<unknown>): Promise<number> {
  await cdp.sendPumped("HeapProfiler.collectGarbage", pump);
  const usage = await cdp.send<{ usedSize: number }>("Runtime.getHeapUsage");
  return usage.usedSize;
}
