/**
 * Startup CPU of a Worker's modules, measured finely for `npm run bench` (`wrangler check startup`
 * samples only every ~1 ms, so a budget of 10 ms is a handful of samples, and its profile gives a
 * gap before a lone sample up to twice the median gap: too coarse and too noisy on a loaded machine).
 *
 * Here the bundle is not the entry module: a small entry imports it with `import()` on a request,
 * in a fresh workerd isolate (Miniflare, inspector on), with V8's profiler sampling every 50 µs.
 * The isolate-busy time of that request, less that of a request that imports nothing, is what
 * evaluating the bundle's modules costs: what the Worker spends at startup. Repeated in new
 * isolates; the median is reported.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Cdp } from "./cdp";
import { busySamples, busyUs, topFunctions, type CpuProfile, type Sample, type TopFunction } from "./cpu-profile";
import { compatibility, startMiniflareWorker } from "./miniflare-worker";
import { freePort } from "../run/worker";

/** The default sampling interval, µs. */
const SAMPLING_US = 50;

const ENTRY = `
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/load") {
      const worker = await import("./index.js");
      return new Response(typeof worker.default);
    }
    return new Response("idle");
  },
};`;

export interface StartupCost {
  /** Median isolate-busy ms of evaluating the modules, over the runs. */
  medianMs: number;
  runsMs: number[];
  /** Top functions by self time over all runs' loads. */
  top: TopFunction[];
}

/**
 * `bundlePath`: an ES module (the Worker's entry, e.g. `wrangler deploy --dry-run`'s index.js);
 * `sourceMap` names its functions; `samplingUs`: V8's sampling interval (50 µs; 1000 to sample as
 * coarsely as `wrangler check startup` does).
 */
export async function startupCost(bundlePath: string, runs: number, sourceMap?: string, samplingUs = SAMPLING_US): Promise<StartupCost> {
  const root = dirname(bundlePath);
  const runsMs: number[] = [];
  const all: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const worker = await startMiniflareWorker({
      name: "startup",
      modules: [
        { type: "ESModule", path: join(root, "startup-entry.js"), contents: ENTRY },
        { type: "ESModule", path: bundlePath, contents: readFileSync(bundlePath, "utf8") },
      ],
      modulesRoot: root,
      ...compatibility(),
      inspectorPort: port,
    });
    try {
      const get = async (path: string) => (await fetch(new URL(path, worker.url))).text();
      await get("/idle");
      const cdp = await Cdp.connect(port, "startup");
      try {
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.setSamplingInterval", { interval: samplingUs });
        const profiled = async (path: string): Promise<Sample[]> => {
          await cdp.send("Profiler.start");
          await get(path);
          const { profile } = await cdp.send<{ profile: CpuProfile }>("Profiler.stop");
          return busySamples(profile, samplingUs);
        };
        const idle = await profiled("/idle");
        const load = await profiled("/load");
        runsMs.push(Math.max(0, busyUs(load) - busyUs(idle)) / 1000);
        all.push(...load);
      } finally {
        cdp.close();
      }
    } finally {
      await worker.mf.dispose();
    }
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  const medianMs = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { medianMs, runsMs, top: topFunctions(all, 10, sourceMap) };
}
