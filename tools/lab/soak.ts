/**
 * The soak of `npm run load -- --soak`: plain and resumable (`chat_id`) chats at once, mixed with
 * slow readers and clients that vanish, against a running Worker (wrangler's dev server) and the
 * fake Azure (tools/fakes/fake-azure.ts), while workerd's memory is sampled. Every chat is checked:
 *
 *   - a plain stream read to its end ends with its terminal event (`done`), whole: `seq` 1, 2, 3…
 *     without gaps, the deltas joined equal `data.answer`, which is the echo of its own nonce;
 *   - a plain stream whose client left: its upstream request was cancelled (the fake's
 *     `closedByClientAt`) within `cancelWithinMs` of the client leaving (mid-stream: the next event
 *     fails to write; in a quiet phase: the next keep-alive or disconnect probe does);
 *   - a resumable chat, whatever its client did (read it, read it slowly, left): afterwards
 *     GET /api/chat/{id}/stream reads the run back whole (as above: the whole answer and `done`, so
 *     the run went on without its client), its first events equal to what the client had.
 *
 * The clients use node:http, so a slow reader really reads a few bytes at a time (`read(64)` in
 * paused mode) and a vanishing client really closes its socket (`destroy()`).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { availableParallelism, loadavg } from "node:os";
import { fakeRequests } from "../fakes/fake-azure-client";
import { rssKiB } from "./proc";

export type Kind =
  | "plain/whole"
  | "plain/slow"
  | "plain/vanish-mid"
  | "plain/vanish-quiet"
  | "resumable/whole"
  | "resumable/slow"
  | "resumable/vanish-mid"
  | "resumable/vanish-quiet";

interface Plan {
  /** Words the fake echoes, one chunk each (plus two: "echo: " and the nonce). */
  words: number;
  /** ms between the fake's chunks. */
  delay: number;
  /** vanish-quiet: the client leaves at a random time this many ms [from, to] after its 2nd delta. */
  quietLeave?: [number, number];
  reader: "whole" | "slow" | "vanish-mid" | "vanish-quiet";
  resumable: boolean;
}

const PLANS: Record<Kind, Plan> = {
  "plain/whole": { words: 60, delay: 10, reader: "whole", resumable: false },
  "plain/slow": { words: 300, delay: 5, reader: "slow", resumable: false },
  // About 10 s of answer if nobody cancelled it; the client leaves after 10 deltas.
  "plain/vanish-mid": { words: 1000, delay: 10, reader: "vanish-mid", resumable: false },
  // A chunk every 2 s (quiet phases longer than HEARTBEAT_MS); the client leaves 1.0–1.9 s after its 2nd delta.
  "plain/vanish-quiet": { words: 4, delay: 2000, quietLeave: [1000, 1900], reader: "vanish-quiet", resumable: false },
  "resumable/whole": { words: 60, delay: 10, reader: "whole", resumable: true },
  "resumable/slow": { words: 300, delay: 5, reader: "slow", resumable: true },
  "resumable/vanish-mid": { words: 300, delay: 10, reader: "vanish-mid", resumable: true },
  "resumable/vanish-quiet": { words: 4, delay: 1200, quietLeave: [500, 1100], reader: "vanish-quiet", resumable: true },
};

/** Out of every 40 chats. */
const MIX: [Kind, number][] = [
  ["plain/whole", 8],
  ["plain/slow", 4],
  ["plain/vanish-mid", 5],
  ["plain/vanish-quiet", 5],
  ["resumable/whole", 6],
  ["resumable/slow", 4],
  ["resumable/vanish-mid", 4],
  ["resumable/vanish-quiet", 4],
];
export const KINDS = MIX.map(([kind]) => kind);

/** Slow readers: this many rounds of reading at most SLOW_BYTES, then pausing SLOW_PAUSE_MS. */
const SLOW_ROUNDS = 10;
const SLOW_BYTES = 64;
const SLOW_PAUSE_MS = 300;
const VANISH_AFTER_DELTAS = 10;

export interface SoakOptions {
  base: URL;
  fakeUrl: string;
  /** Chat i uses key i % keys.length (its resumable chat is read back with the same key). */
  apiKeys: string[];
  chats: number;
  /** The chats run in this many rounds, one after the other (memory is noted after each). */
  rounds: number;
  /** A round's chats start evenly spread over this long. */
  rampMs: number;
  /** The bound on the whole soak. */
  signal: AbortSignal;
  cancelWithinMs: number;
  /** workerd processes whose RSS is sampled (every 250 ms). */
  memory: { name: string; pid: number }[];
  /** After the last chat, how long memory is still sampled before "end". */
  settleMs: number;
  /** Only these kinds (default: the whole mix). */
  kinds?: Kind[];
  /** The Worker's JS heap after a full GC, in bytes (needs the DevTools protocol: --direct only). */
  heapAfterGc?: () => Promise<number>;
}

interface Event {
  type: string;
  seq?: number;
  requestId?: string;
  text?: string;
  code?: number;
  data?: { answer?: string };
}

export interface ChatOutcome {
  kind: Kind;
  ok: boolean;
  error?: string;
  totalMs: number;
  /** Vanishing plain chats: ms from the client leaving to the upstream request being cancelled. */
  cancelMs?: number;
  /** Resumable chats: the read-back was whole. */
  readBack?: boolean;
}

export interface MemorySeries {
  name: string;
  pid: number;
  startKiB: number;
  /** At the end of each round (after its last chat, before the next starts). */
  roundsKiB: number[];
  peakKiB: number;
  /** After the last round and the settling time. */
  endKiB: number;
  samples: number;
}

export interface SoakReport {
  outcomes: ChatOutcome[];
  memory: MemorySeries[];
  wallS: number;
  /** The machine's 1-minute load average at the start and the end (other work skews timings). */
  load: [number, number];
  /** JS heap after a full GC (bytes): at the start, after each round, at the end. */
  heap?: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const sampler = sampleMemory(options.memory);
  const loadAtStart = loadavg()[0];
  const heap = options.heapAfterGc ? [await options.heapAfterGc()] : undefined;
  const started = performance.now();
  const outcomes: ChatOutcome[] = [];
  const perRound = Math.ceil(options.chats / options.rounds);
  for (let from = 0; from < options.chats && !options.signal.aborted; from += perRound) {
    const count = Math.min(perRound, options.chats - from);
    const round = await Promise.all(
      Array.from({ length: count }, async (_, k) => {
        await sleep((k * options.rampMs) / count);
        return soakChat(kindOf(from + k, options.kinds), from + k, options);
      }),
    );
    outcomes.push(...round);
    sampler.mark();
    if (heap) heap.push(await options.heapAfterGc!());
  }
  const wallS = (performance.now() - started) / 1000;
  await sleep(Math.min(options.settleMs, 60_000));
  if (heap) heap.push(await options.heapAfterGc!());
  return { outcomes, memory: sampler.stop(), wallS, load: [loadAtStart, loadavg()[0]], heap };
}

/** Kinds spread evenly through the run: chat i gets the kind of slot i % 40 of MIX. */
function kindOf(i: number, only?: Kind[]): Kind {
  const slots = MIX.filter(([kind]) => !only || only.includes(kind)).flatMap(([kind, n]) => Array<Kind>(n).fill(kind));
  // Interleave (not 8 of a kind in a row): slot order by a fixed stride coprime with 40.
  return slots[(i * 17) % slots.length];
}

async function soakChat(kind: Kind, i: number, options: SoakOptions): Promise<ChatOutcome> {
  const plan = PLANS[kind];
  const nonce = `soak-${i}-${crypto.randomUUID()}`;
  const words = Array.from({ length: plan.words }, (_, w) => `w${w}`).join(" ");
  const expected = `echo: ${nonce} ${words}`;
  const apiKey = options.apiKeys[i % options.apiKeys.length];
  const chatId = plan.resumable ? `soak_${i}_${nonce.slice(-12)}` : undefined;
  const t0 = performance.now();
  const fail = (error: unknown): ChatOutcome => ({ kind, ok: false, error: `${kind} #${i}: ${error instanceof Error ? error.message : String(error)}`, totalMs: performance.now() - t0 });
  try {
    const body = { user_id: `soak-user-${nonce}`, query: [{ role: "user", content: `[[fake:echo delay=${plan.delay}]] ${nonce} ${words}` }], ...(chatId ? { chat_id: chatId } : {}) };
    const res = await post(new URL("/api/chat", options.base), apiKey, body, options.signal);
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${(await drain(res)).slice(0, 200)}`);
    const requestId = String(res.headers["x-request-id"] ?? "");
    const live = await read(res, plan);

    if (!plan.resumable) {
      if (live.leftAt === undefined) {
        checkWhole(live.events, requestId, expected);
        return { kind, ok: true, totalMs: performance.now() - t0 };
      }
      const cancelMs = await upstreamCancelled(options.fakeUrl, nonce, live.leftAt, options.signal);
      if (cancelMs > options.cancelWithinMs) {
        return { kind, ok: false, error: `${kind} #${i}: the upstream request was cancelled ${cancelMs} ms after the client left (bound ${options.cancelWithinMs} ms)`, totalMs: performance.now() - t0, cancelMs };
      }
      return { kind, ok: true, totalMs: performance.now() - t0, cancelMs };
    }

    // Resumable: read the whole run back, whatever the client did.
    const back = await get(new URL(`/api/chat/${chatId}/stream`, options.base), apiKey, options.signal);
    if (back.statusCode !== 200) throw new Error(`read-back: HTTP ${back.statusCode}: ${(await drain(back)).slice(0, 200)}`);
    const events = (await read(back, { ...plan, reader: "whole" })).events;
    checkWhole(events, requestId, expected);
    const had = live.events.filter((e) => e.type !== "ping");
    for (let k = 0; k < had.length; k++) {
      if (JSON.stringify(had[k]) !== JSON.stringify(events[k])) throw new Error(`read-back: event ${k + 1} differs from what the client had`);
    }
    return { kind, ok: true, totalMs: performance.now() - t0, readBack: true };
  } catch (error) {
    return fail(error);
  }
}

/** Whole: seq 1… without gaps, one terminal `done` last, deltas joined = data.answer = the expected echo. */
function checkWhole(all: Event[], requestId: string, expected: string): void {
  const events = all.filter((e) => e.type !== "ping");
  if (!events.length) throw new Error("no events");
  events.forEach((e, k) => {
    if (e.seq !== k + 1) throw new Error(`seq ${e.seq} where ${k + 1} was due`);
    if (e.requestId !== requestId) throw new Error("an event of another request");
  });
  const end = events.at(-1)!;
  if (end.type !== "done" || end.code !== 200) throw new Error(`ended with ${end.type} ${end.code ?? ""}`.trim());
  if (events.filter((e) => e.type === "done" || e.type === "error").length !== 1) throw new Error("more than one terminal event");
  const answer = events.filter((e) => e.type === "delta").map((e) => e.text).join("");
  if (answer !== end.data?.answer) throw new Error("deltas do not join to data.answer");
  if (answer !== expected) throw new Error(`not its own answer: ${JSON.stringify(answer.slice(0, 60))}`);
}

/** ms from `leftAt` until the fake saw the upstream request closed (polls for up to 5 s). */
async function upstreamCancelled(fakeUrl: string, nonce: string, leftAt: number, signal: AbortSignal): Promise<number> {
  for (let i = 0; i < 100 && !signal.aborted; i++) {
    const [record] = await fakeRequests(fakeUrl, nonce);
    if (record?.finished) throw new Error("the upstream request ran to its end: never cancelled");
    if (record?.closedByClientAt != null) return record.closedByClientAt - leftAt;
    await sleep(50);
  }
  throw new Error("the upstream request was not cancelled within 5 s of the client leaving");
}

function post(url: URL, apiKey: string, body: unknown, signal: AbortSignal): Promise<IncomingMessage> {
  const payload = Buffer.from(JSON.stringify(body));
  return send(url, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "content-length": payload.length } }, signal, payload);
}

function get(url: URL, apiKey: string, signal: AbortSignal): Promise<IncomingMessage> {
  return send(url, { method: "GET", headers: { authorization: `Bearer ${apiKey}` } }, signal);
}

function send(url: URL, init: { method: string; headers: Record<string, string | number> }, signal: AbortSignal, payload?: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // A connection of its own (no keep-alive pool): leaving closes exactly this chat's socket.
    const req = httpRequest(url, { ...init, agent: false, signal }, resolve);
    req.once("error", reject);
    req.end(payload);
  });
}

function drain(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (text += chunk)).once("end", () => resolve(text)).once("error", reject);
  });
}

/**
 * Reads an NDJSON body: whole (as fast as it comes); slow (SLOW_ROUNDS times at most SLOW_BYTES,
 * pausing SLOW_PAUSE_MS, then the rest); or leaves (destroys the socket) after VANISH_AFTER_DELTAS
 * deltas, or in the quiet phase after its 2nd delta (`quietLeave`). `leftAt`: Date.now() then.
 */
function read(res: IncomingMessage, plan: Plan): Promise<{ events: Event[]; leftAt?: number }> {
  const how = plan.reader;
  return new Promise((resolve, reject) => {
    const events: Event[] = [];
    let pending = "";
    let deltas = 0;
    let left = false;
    const decoder = new TextDecoder();
    const leave = () => {
      if (left) return;
      left = true;
      const leftAt = Date.now();
      res.destroy();
      resolve({ events, leftAt });
    };
    const take = (bytes: Buffer) => {
      const text = pending + decoder.decode(bytes, { stream: true });
      const lines = text.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.trim()) continue;
        const event = JSON.parse(line) as Event;
        events.push(event);
        if (event.type !== "delta") continue;
        deltas++;
        if (how === "vanish-mid" && deltas === VANISH_AFTER_DELTAS) return leave();
        if (how === "vanish-quiet" && deltas === 2) {
          const [from, to] = plan.quietLeave!;
          setTimeout(leave, from + Math.random() * (to - from));
        }
      }
    };
    const flow = () => {
      res.on("data", (bytes: Buffer) => !left && take(bytes));
      res.resume();
      res.once("end", () => {
        if (left) return;
        if (pending.trim()) return reject(new Error(`the stream ended mid-line: ${JSON.stringify(pending.slice(0, 80))}`));
        resolve({ events });
      });
    };
    res.once("error", (error) => !left && reject(error));
    res.once("close", () => !left && !res.complete && reject(new Error("the connection closed before the stream's end")));
    if (how !== "slow") return flow();
    void (async () => {
      for (let round = 0; round < SLOW_ROUNDS && !res.readableEnded; round++) {
        let bytes: Buffer | null = res.read(SLOW_BYTES) as Buffer | null;
        if (bytes === null) {
          await new Promise((r) => res.once("readable", r));
          bytes = (res.read(SLOW_BYTES) ?? res.read()) as Buffer | null;
        }
        if (bytes) take(bytes);
        await sleep(SLOW_PAUSE_MS);
      }
      flow();
    })().catch(reject);
  });
}

/** RSS of each process every 250 ms until `stop()`. */
function sampleMemory(processes: { name: string; pid: number }[]) {
  const series = processes.map(({ name, pid }) => ({ name, pid, values: [] as number[], marks: [] as number[] }));
  const sample = () => {
    for (const s of series) {
      const kib = rssKiB(s.pid);
      if (kib !== undefined) s.values.push(kib);
    }
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    /** Notes the current RSS (the end of a round). */
    mark() {
      sample();
      for (const s of series) s.marks.push(s.values.at(-1) ?? NaN);
    },
    stop(): MemorySeries[] {
      clearInterval(timer);
      sample();
      return series.map((s) => ({ name: s.name, pid: s.pid, startKiB: s.values[0] ?? NaN, roundsKiB: s.marks, peakKiB: Math.max(...s.values), endKiB: s.values.at(-1) ?? NaN, samples: s.values.length }));
    },
  };
}

/** Prints the summary tables; true when every chat passed and memory stayed flat. */
export function printSoak(report: SoakReport, options: { cancelWithinMs: number; flatMiB: number; settings: string }): boolean {
  const { outcomes, memory } = report;
  const ms = (xs: number[], p: number) => (xs.length ? `${pct(xs, p).toFixed(0)}` : "–");
  console.log("");
  console.log(`soak: ${outcomes.length} chats in ${report.wallS.toFixed(1)} s (${options.settings}); load average ${report.load[0].toFixed(1)} → ${report.load[1].toFixed(1)} on ${availableParallelism()} CPUs`);
  console.log("");
  console.log(`| kind | chats | ok | failed | total p50 / p95 ms | upstream cancelled after the client left: p50 / p95 / max ms (within ${options.cancelWithinMs} ms) | read back whole |`);
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const kind of KINDS) {
    const of = outcomes.filter((o) => o.kind === kind);
    const ok = of.filter((o) => o.ok);
    const totals = ok.map((o) => o.totalMs);
    const cancels = of.map((o) => o.cancelMs).filter((x): x is number => x !== undefined);
    const within = cancels.filter((x) => x <= options.cancelWithinMs).length;
    const cancel = cancels.length ? `${ms(cancels, 50)} / ${ms(cancels, 95)} / ${Math.max(...cancels).toFixed(0)} (${within} of ${cancels.length})` : "–";
    const back = kind.startsWith("resumable") ? `${ok.filter((o) => o.readBack).length} / ${of.length}` : "–";
    console.log(`| ${kind} | ${of.length} | ${ok.length} | ${of.length - ok.length} | ${ms(totals, 50)} / ${ms(totals, 95)} | ${cancel} | ${back} |`);
  }
  console.log("");
  const rounds = memory[0]?.roundsKiB.length ?? 0;
  console.log(`| workerd RSS (MiB) | start | ${Array.from({ length: rounds }, (_, r) => `after round ${r + 1}`).join(" | ")} | peak | end | end − after round 1 | samples |`);
  console.log(`| --- | --- | ${"--- | ".repeat(rounds)}--- | --- | --- | --- |`);
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  const bytesMib = (bytes: number) => (bytes / 1048576).toFixed(1);
  for (const m of memory) {
    console.log(`| ${m.name} (pid ${m.pid}) | ${mib(m.startKiB)} | ${m.roundsKiB.map(mib).join(" | ")} | ${mib(m.peakKiB)} | ${mib(m.endKiB)} | ${mib(m.endKiB - m.roundsKiB[0])} | ${m.samples} |`);
  }
  if (report.heap) {
    const h = report.heap;
    console.log(`| the Worker's JS heap after a full GC | ${bytesMib(h[0])} | ${h.slice(1, -1).map(bytesMib).join(" | ")} | – | ${bytesMib(h.at(-1)!)} | ${bytesMib(h.at(-1)! - h[1])} | ${h.length} |`);
  }
  const failed = outcomes.filter((o) => !o.ok);
  for (const f of failed.slice(0, 15)) console.log(`  failed: ${f.error}`);
  // The first round sets the high-water mark (V8's heap and the allocator keep what they grew to);
  // a leak shows as growth in the rounds after it.
  const flat = memory.every((m) => (m.endKiB - m.roundsKiB[0]) / 1024 <= options.flatMiB);
  console.log(`\nmemory ${flat ? "flat" : "NOT flat"}: after round 1, every workerd's RSS stayed within ${options.flatMiB} MiB${rounds < 2 ? " (one round only: no later rounds to compare)" : ""}`);
  const pass = failed.length === 0 && flat;
  console.log(pass ? `PASS: every plain stream ended with its terminal event or had its upstream cancelled within ${options.cancelWithinMs} ms of its client leaving; every resumable chat read back whole` : "FAIL");
  return pass;
}

function pct(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
