/**
 * Reading V8 CPU profiles (`Profiler.stop` over tools/lab/cdp.ts, or the `.cpuprofile` of `wrangler
 * check startup`) for `npm run bench`: how much of a time window the isolate was busy, and which
 * functions took it (self time), named through the bundle's source map.
 *
 * Busy time: in workerd, V8 samples the isolate only while it is entered (running a request, a
 * timer, a stream callback), every `intervalUs`; a sample's time delta also holds any gap before it
 * (the isolate idle, or the machine busy with other work). So each sample counts for its delta
 * capped at twice the interval, and `(idle)` samples not at all. Timestamps are CLOCK_MONOTONIC
 * microseconds, as `process.hrtime.bigint()` (nanoseconds) in Node, so windows measured by the
 * client can select samples.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Sample {
  /** µs, CLOCK_MONOTONIC. */
  at: number;
  /** µs this sample stands for (its delta, capped). */
  weight: number;
  node: ProfileNode;
}

const NOT_BUSY = new Set(["(idle)"]);

/** The profile's busy samples with their times and weights. */
export function busySamples(profile: CpuProfile, intervalUs: number): Sample[] {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const out: Sample[] = [];
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    const node = nodes.get(profile.samples[i]);
    if (!node || NOT_BUSY.has(node.callFrame.functionName)) continue;
    out.push({ at, weight: Math.min(Math.max(delta, 0), 2 * intervalUs), node });
  }
  return out;
}

/** Busy µs of the samples inside any of the windows ([from, to] µs), or of all of them. */
export function busyUs(samples: Sample[], windows?: [number, number][]): number {
  let total = 0;
  for (const s of samples) {
    if (!windows || windows.some(([from, to]) => s.at >= from && s.at <= to)) total += s.weight;
  }
  return total;
}

/** A monotonic timestamp in µs comparable with a profile's (process.hrtime.bigint() / 1000). */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

export interface TopFunction {
  name: string;
  where: string;
  selfUs: number;
  share: number;
}

/** Functions by self time, the most first, named through `sourceMap` (a path to a .map file) when given. */
export function topFunctions(samples: Sample[], limit: number, sourceMap?: string): TopFunction[] {
  const map = sourceMap && existsSync(sourceMap) ? SourceMap.read(sourceMap) : undefined;
  // Sources are relative to the map's directory (a temp directory): shown relative to the repository.
  const shown = (source: string) => relative(ROOT, resolve(dirname(sourceMap!), source)).replace(/^.*node_modules\//, "node_modules/");
  const byKey = new Map<string, TopFunction>();
  let total = 0;
  for (const s of samples) {
    total += s.weight;
    const f = s.node.callFrame;
    let name = f.functionName || (f.url && f.lineNumber === 0 && f.columnNumber === 0 ? "(module top level)" : "(anonymous)");
    let where = f.url ? `${f.url}:${f.lineNumber + 1}:${f.columnNumber + 1}` : "";
    const original = map && f.url && f.lineNumber >= 0 && name !== "(module top level)" ? map.lookup(f.lineNumber, f.columnNumber) : undefined;
    if (original) {
      where = `${shown(original.source)}:${original.line + 1}`;
      if (original.name && (name === "(anonymous)" || name.length <= 2 || name.startsWith("#"))) name = original.name;
    }
    const key = `${name} ${where}`;
    const entry = byKey.get(key) ?? { name, where, selfUs: 0, share: 0 };
    entry.selfUs += s.weight;
    byKey.set(key, entry);
  }
  return [...byKey.values()]
    .sort((a, b) => b.selfUs - a.selfUs)
    .slice(0, limit)
    .map((f) => ({ ...f, share: total ? f.selfUs / total : 0 }));
}

/** Reads a `.cpuprofile` file (as `wrangler check startup` writes). */
export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
}

/** Just enough of a source map (v3) to turn a generated position into the original one. */
export class SourceMap {
  /** Per generated line: segments [column, source, line, column, name?] sorted by column. */
  private constructor(
    private readonly lines: number[][][],
    private readonly sources: string[],
    private readonly names: string[],
  ) {}

  static read(path: string): SourceMap {
    const raw = JSON.parse(readFileSync(path, "utf8")) as { mappings: string; sources: string[]; names: string[] };
    const lines: number[][][] = [];
    let source = 0;
    let origLine = 0;
    let origCol = 0;
    let name = 0;
    for (const line of raw.mappings.split(";")) {
      const segments: number[][] = [];
      let col = 0;
      for (const text of line.split(",")) {
        if (!text) continue;
        const v = decodeVlq(text);
        col += v[0];
        if (v.length >= 4) {
          source += v[1];
          origLine += v[2];
          origCol += v[3];
          if (v.length >= 5) name += v[4];
          segments.push(v.length >= 5 ? [col, source, origLine, origCol, name] : [col, source, origLine, origCol]);
        }
      }
      lines.push(segments);
    }
    return new SourceMap(lines, raw.sources, raw.names);
  }

  /** The original position of generated (line, column), both 0-based: the nearest mapping at or before it. */
  lookup(line: number, column: number): { source: string; line: number; name?: string } | undefined {
    const segments = this.lines[line];
    if (!segments?.length) return undefined;
    let lo = 0;
    let hi = segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segments[mid][0] <= column) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    // The function's name: the first named segment from its start on.
    let named: number[] | undefined;
    for (let i = found; i < Math.min(segments.length, found + 4) && !named; i++) if (segments[i].length === 5) named = segments[i];
    const seg = segments[found];
    return { source: this.sources[seg[1]], line: seg[2], name: named ? this.names[named[4]] : undefined };
  }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeVlq(text: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of text) {
    const digit = BASE64.indexOf(ch);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}
