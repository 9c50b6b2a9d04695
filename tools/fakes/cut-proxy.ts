/**
 * A TCP proxy on 127.0.0.1 whose connections can be severed on cue: the network cut that a phone
 * switching networks or a flaky Wi-Fi makes, for the tests of the clients' reconnection. Bytes pass
 * through untouched (HTTP, streamed bodies, keep-alive); `cut()` destroys every open connection on
 * both sides at once, so the client sees its response body fail mid-stream ("terminated" in Node,
 * `net::ERR_…` in Chromium) and the server sees its client gone, as after a real drop.
 *
 *   const proxy = await startCutProxy(workerUrl);
 *   fetch(`${proxy.url}/api/chat`, …)   // …later:
 *   proxy.cut();                         // every connection through it dies now
 *
 * New connections are accepted as usual after a cut (a reconnection goes through), unless
 * `refuse(true)` makes the proxy close every new connection at once (a network that stays down).
 */
import { connect, createServer, type Socket } from "node:net";

export interface CutProxy {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  /** Severs every connection open now; returns how many there were. */
  cut(): number;
  /** While true, each new connection is closed as soon as it is accepted. */
  refuse(on: boolean): void;
  /** Connections accepted so far (refused ones included). */
  readonly accepted: number;
  /** Connections severed by `cut()` so far. */
  readonly severed: number;
  close(): Promise<void>;
}

/** Proxies to `target` (an http://host:port URL). */
export async function startCutProxy(target: string): Promise<CutProxy> {
  const { hostname, port } = new URL(target);
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let refusing = false;
  let accepted = 0;
  let severed = 0;

  const server = createServer((client) => {
    accepted++;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port) });
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${address.port}`,
    cut() {
      const open = [...pairs];
      for (const { client, upstream } of open) {
        // resetAndDestroy: an RST, as when a network path disappears, not a polite FIN.
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
      severed += open.length;
      return open.length;
    },
    refuse(on) {
      refusing = on;
    },
    get accepted() {
      return accepted;
    },
    get severed() {
      return severed;
    },
    close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
