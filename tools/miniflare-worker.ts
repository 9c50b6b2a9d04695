/**
 * A Worker in its own workerd process through Miniflare, for `npm run bench` only. Everything else
 * boots the Worker with `wrangler dev` (tools/worker.ts); the benchmark needs what that cannot
 * give: the deployable bundle (`wrangler deploy --dry-run`, minified) and two raw baseline scripts
 * in identical isolates, with no dev proxy in front of them adding its own latency, and the pid of
 * each workerd process so its CPU time can be read from /proc.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";

/** The workerd processes that are children of this process. */
function workerdPids(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.includes("(workerd)") && Number(fields[1]) === process.pid) pids.add(Number(entry));
    } catch {
      // gone already
    }
  }
  return pids;
}

const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim() || 100);

/** CPU time (user + system, all threads) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
}

export async function startMiniflareWorker(options: ConstructorParameters<typeof Miniflare>[0]): Promise<{ mf: Miniflare; url: string; pid: number }> {
  const before = workerdPids();
  // Drain the workers' own output (chatapi logs one line per request) so it doesn't swamp the report.
  const mf = new Miniflare({ ...options, handleRuntimeStdio: (out: Readable, err: Readable) => (out.resume(), err.resume()) } as typeof options);
  const url = (await mf.ready).toString();
  const pid = [...workerdPids()].find((p) => !before.has(p));
  if (!pid) throw new Error("could not find the workerd process");
  return { mf, url, pid };
}
