/**
 * Run by tools/run/worker.ts (never directly) when it boots the Worker without the DevTools inspector:
 * wrangler's own dev server through its programmatic API (`unstable_startWorker`, the machinery
 * behind `wrangler dev`), which, unlike the CLI, can leave the inspector out. Under load the
 * inspector proxy handles a Network event per streamed chunk and makes every response several
 * times slower. The options come as one JSON argument (no values of vars: those are in the env file).
 */
import { fileURLToPath } from "node:url";
import { unstable_startWorker } from "wrangler";

interface Options {
  host: string;
  port: number;
  envFile: string;
  logLevel: "debug" | "info" | "log" | "warn" | "error" | "none";
  /** true: Durable Object storage in .wrangler/state, as the CLI keeps it; false: in memory. */
  persist: boolean;
  /** true: rebuild and reload on source changes, as the CLI does. */
  watch: boolean;
}

const options = JSON.parse(process.argv[2]) as Options;
const worker = await unstable_startWorker({
  config: fileURLToPath(new URL("../../wrangler.toml", import.meta.url)),
  envFiles: [options.envFile],
  dev: {
    inspector: false,
    watch: options.watch,
    liveReload: false,
    // undefined: wrangler's default, .wrangler/state next to wrangler.toml (what the CLI uses).
    persist: options.persist ? undefined : false,
    logLevel: options.logLevel,
    server: { hostname: options.host, port: options.port },
  },
});
await worker.ready;
const origin = (await worker.url).origin;
console.log(`[wrangler-dev-api] Ready on ${origin}`);
// tools/run/worker.ts waits for this before it asks /health: it is this server that is up.
process.send?.({ ready: origin });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void worker.dispose().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
