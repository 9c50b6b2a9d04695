/**
 * A Worker in its own workerd process through Miniflare, for `npm run bench`, `npm run load --
 * --soak --direct` and, through tools/run/worker.ts's `startWorker({ bundle })`, the end-to-end tests
 * that need a running Worker but not wrangler's dev server. The bench and the soak need what
 * `wrangler dev` cannot give: the deployable bundle (`wrangler deploy
 * --dry-run`, minified) and raw baseline scripts in identical isolates, with no dev proxy in front of
 * them adding its own latency, the pid of each workerd process (CPU and memory from /proc), the
 * Durable Objects' SQLite files in a directory of our choosing, and the DevTools protocol on a port
 * of our choosing for CPU profiles.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { processName, processTree } from "./proc";
import { buildWorkerBundle, readWorkerBundle, removeWorkerBundle } from "../build/worker-bundle";

export { cpuMs } from "./proc";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The workerd processes that are children of this process. */
function workerdChildren(): Set<number> {
  return new Set(processTree(process.pid).filter((pid) => processName(pid) === "workerd"));
}

export async function startMiniflareWorker(options: ConstructorParameters<typeof Miniflare>[0]): Promise<{ mf: Miniflare; url: string; pid: number }> {
  const before = workerdChildren();
  // By default the workers' own output (chatapi logs one line per request) is drained so it doesn't swamp the report.
  const mf = new Miniflare({ handleRuntimeStdio: (out: Readable, err: Readable) => (out.resume(), err.resume()), ...options } as typeof options);
  const url = (await mf.ready).toString();
  const pid = [...workerdChildren()].find((p) => !before.has(p));
  if (!pid) throw new Error("could not find the workerd process");
  return { mf, url, pid };
}

/** wrangler.toml's compatibility date and flags. */
export function compatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)![1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  return { compatibilityDate, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]) };
}

/** A `simple` rate limit, as wrangler.toml's `[[ratelimits]]` and Miniflare's `ratelimits` option give it. */
export type RateLimits = Record<string, { simple: { limit: number; period?: 10 | 60 } }>;

/** wrangler.toml's `[[ratelimits]]` bindings (Miniflare simulates them in the Worker's isolate: a counter per key). */
export function rateLimits(): RateLimits {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const out: RateLimits = {};
  for (const block of toml.split(/^\[\[ratelimits\]\]\s*$/m).slice(1)) {
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    const simple = /^simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\}/m.exec(block);
    if (name && simple) out[name] = { simple: { limit: Number(simple[1]), period: Number(simple[2]) as 10 | 60 } };
  }
  return out;
}

export interface Bundle {
  /** The bundle's entry module (index.js). */
  path: string;
  raw: number;
  gzip: number;
  /** Deletes the bundle's temp directory. */
  remove(): void;
}

/** The deployable bundle, as `wrangler deploy --dry-run` builds it (minified), in a fresh temp directory (tools/build/worker-bundle.ts), with its sizes. */
export async function buildBundle(): Promise<Bundle> {
  const dir = await buildWorkerBundle();
  const { path } = readWorkerBundle(dir);
  const bytes = readFileSync(path);
  return { path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, remove: () => removeWorkerBundle(dir) };
}

export interface ChatapiMiniflareOptions {
  bundle: Bundle;
  /** The Worker's vars and secrets. */
  bindings: Record<string, string>;
  /** Where the ChatRoom Durable Objects keep their SQLite files (default: in memory). */
  persistDir?: string;
  /** Serve the DevTools protocol on this port (CPU profiles). */
  inspectorPort?: number;
  /** Rate Limiting bindings (default: none, so no limit is checked). */
  ratelimits?: RateLimits;
  /** A module to run instead of the bundle, which it imports as "./index.js" (e.g. to wrap the ChatRoom class). */
  entry?: string;
}

/** chatapi's bundle in its own workerd, with wrangler.toml's compatibility settings and the ChatRoom Durable Object. */
export function startChatapiMiniflare(options: ChatapiMiniflareOptions): ReturnType<typeof startMiniflareWorker> {
  const root = dirname(options.bundle.path);
  const bundle = { type: "ESModule" as const, path: options.bundle.path, contents: readFileSync(options.bundle.path, "utf8") };
  // Modules listed, not discovered: Miniflare's import scanner cannot parse the minified bundle.
  const modules = options.entry ? [{ type: "ESModule" as const, path: join(root, "entry.js"), contents: options.entry }, bundle] : [bundle];
  return startMiniflareWorker({
    name: "chatapi",
    modules,
    modulesRoot: root,
    ...compatibility(),
    bindings: options.bindings,
    durableObjects: { CHAT_ROOMS: { className: "ChatRoom", useSQLite: true }, CHAT_LISTS: { className: "ChatList", useSQLite: true } },
    durableObjectsPersist: options.persistDir ?? false,
    r2Buckets: ["CHAT_FILES"],
    r2Persist: options.persistDir ? join(options.persistDir, "r2") : false,
    ...(options.ratelimits ? { ratelimits: options.ratelimits } : {}),
    ...(options.inspectorPort !== undefined ? { inspectorPort: options.inspectorPort } : {}),
  });
}
