/**
 * `npm run load`: hundreds of concurrent streaming chats through wrangler's dev server (the Worker
 * in workerd, booted by tools/run/worker.ts as for the tests, with wrangler.toml's bindings: keys, rate
 * limits) against the local fake Azure upstream (tools/fakes/fake-azure-thread.ts: in this process, on its
 * own thread). Loopback only, bounded in count and time, stops by itself; exit code 1 if any chat failed.
 *
 * Each chat carries its own nonce and asks the fake for a multi-chunk echo of it; every answer must
 * arrive whole, in order and unmixed with another's: all its events carry its request id, steps
 * come before deltas, deltas belong to its model step and concatenate to `data.answer`, which is the
 * echo of its own nonce and words, and exactly one `done` ends it. It also counts the Worker's
 * request log lines: exactly one per chat, none holding a secret or a nonce (message text).
 *
 *   npm run load -- [--chats 300] [--concurrency 300] [--words 24] [--delay 5] [--timeout 120]
 *
 * `--soak` runs tools/lab/soak.ts instead: plain and resumable (`chat_id`) chats at once, with slow
 * readers and clients that leave mid-stream or in a quiet phase, with DISCONNECT_PROBE_MS=250 (the default) and
 * HEARTBEAT_MS=1000; it checks every plain stream ended with its terminal event or had its upstream
 * request cancelled within a second of its client leaving, every resumable chat reads back whole,
 * and samples workerd's RSS (start / after each round / peak / end, after the chats expired with
 * RESUME_TTL_S=10); memory is flat when it grew no more than --flat-mib after the first round:
 *
 *   npm run load -- --soak [--chats 200] [--rounds 2] [--ramp 5] [--settle 15] [--timeout 90] [--flat-mib 32] [--probe-ms 250] [--kinds plain/slow,…] [--direct]
 *
 * `--direct` soaks the deployable bundle in Miniflare (tools/lab/miniflare-worker.ts) instead of wrangler's
 * dev server: no dev proxy between the clients and the Worker (it adds a hop a disconnect must cross).
 *
 * wrangler.toml allows 600 chats a minute per API key: the chats are spread over enough keys. The
 * dev server runs without the DevTools inspector (see tools/run/worker.ts).
 */
import { startFakeAzureThread } from "../tools/fakes/fake-azure-thread";
import { readNdjsonTimed } from "../tools/ndjson";
import { Cdp, heapAfterGc } from "../tools/lab/cdp";
import { buildBundle, startChatapiMiniflare } from "../tools/lab/miniflare-worker";
import { listeningPorts, workerdPids } from "../tools/lab/proc";
import { KINDS, printSoak, runSoak, type Kind } from "../tools/lab/soak";
import { freePort, startWorker } from "../tools/run/worker";

// Loopback only: no metrics, and no fetch of the `Request.cf` placeholder from workers.cloudflare.com.
process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

const args = process.argv.slice(2);
const option = (name: string, fallback: number, max: number) => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value < 1) throw new Error(`--${name} must be a positive number`);
  return Math.min(Math.floor(value), max);
};
const SOAK = args.includes("--soak");
const DIRECT = SOAK && args.includes("--direct");
const CHATS = option("chats", SOAK ? 200 : 300, 5000);
const CONCURRENCY = Math.min(option("concurrency", CHATS, 1000), CHATS);
const WORDS = option("words", 24, 500);
const DELAY_MS = option("delay", 5, 1000);
const TIMEOUT_S = option("timeout", SOAK ? 90 : 120, 900);
const RAMP_S = option("ramp", 5, 60);
const ROUNDS = option("rounds", 2, 20);
const FLAT_MIB = option("flat-mib", 32, 4096);
const SETTLE_S = option("settle", 15, 60);
const KIND_LIST = args.includes("--kinds") ? (args[args.indexOf("--kinds") + 1].split(",") as Kind[]) : undefined;
for (const kind of KIND_LIST ?? []) if (!KINDS.includes(kind)) throw new Error(`--kinds: ${kind} is none of ${KINDS.join(", ")}`);
/**
 * The soak's settings: disconnect probes and keep-alives often enough to notice a client that left
 * within a second; resumable chats kept 10 s after their end (not 600), so that memory they hold is
 * given back within the soak's settling time.
 */
const SOAK_VARS = { DISCONNECT_PROBE_MS: String(option("probe-ms", 250, 60_000)), HEARTBEAT_MS: "1000", RESUME_TTL_S: "10" };

const AZURE_KEY = `load-azure-key-${crypto.randomUUID()}`;
/** One key per 250 chats (under wrangler.toml's KEY_RATE_LIMITER of 600 a minute; the soak also reads chats back). */
const API_KEYS = Array.from({ length: Math.ceil(CHATS / 250) }, () => `load-api-key-${crypto.randomUUID()}`);

interface Outcome {
  ok: boolean;
  error?: string;
  ttfbMs: number;
  totalMs: number;
  deltas: number;
}

interface Event {
  type: string;
  requestId?: string;
  message_id?: string;
  text?: string;
  step?: { message_id: string; tool_type: string; tool_status: string };
  code?: number;
  data?: { answer?: string; steps?: { tool_type: string; tool_status: string }[] };
}

async function main() {
  const deadline = AbortSignal.timeout(TIMEOUT_S * 1000);
  const logs = requestLogs();
  const fake = await startFakeAzureThread();
  let exitCode = 1;
  const vars = {
    AZURE_OPENAI_ENDPOINT: fake.url,
    AZURE_OPENAI_API_KEY: AZURE_KEY,
    API_KEYS: API_KEYS.join(","),
    ALLOW_ANONYMOUS: "false",
    MCP_SERVER_URL: "",
    UPSTREAM_TIMEOUT_MS: "30000",
    ...(SOAK ? SOAK_VARS : {}),
  };
  if (DIRECT) {
    const bundle = await buildBundle();
    try {
      const inspectorPort = await freePort();
      const direct = await startChatapiMiniflare({ bundle, bindings: vars, inspectorPort });
      const cdp = await Cdp.connect(inspectorPort, "chatapi");
      try {
        // GET /health makes the isolate run, so the GC command is carried out.
        const heap = () => heapAfterGc(cdp, () => fetch(new URL("/health", direct.url)).then((res) => res.arrayBuffer()));
        exitCode = await soak(new URL(direct.url), fake.url, deadline, () => [{ name: "the Worker (Miniflare, no proxy)", pid: direct.pid }], undefined, heap);
      } finally {
        cdp.close();
        await direct.mf.dispose();
      }
    } finally {
      bundle.remove();
      await fake.close();
    }
    process.exit(exitCode);
  }
  const worker = await startWorker({
    vars,
    logLevel: "log",
    // wrangler's dev server without the DevTools inspector, whose proxy would slow every response here.
    inspector: false,
    onLine: logs.onLine,
  }).catch(async (error) => {
    await fake.close();
    throw error;
  });
  try {
    const base = new URL(worker.url);
    if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) throw new Error(`not loopback: ${base}`);
    // wrangler's dev server runs two workerd processes: its proxy (on our port) and the Worker's.
    const processes = () => workerdPids(worker.pid).map((pid) => ({ name: listeningPorts(pid).includes(Number(base.port)) ? "wrangler's proxy" : "the Worker", pid }));
    if (SOAK) exitCode = await soak(base, fake.url, deadline, processes, logs);
    else {
      console.log(`chatapi load: ${CHATS} streaming chats, ${CONCURRENCY} at a time, ${WORDS + 2} chunks each ${DELAY_MS} ms apart, through wrangler dev at ${base.origin} (fake Azure ${fake.url})`);

      // One warm-up chat (bundling, first isolate) outside the figures.
      const warm = await chat(base, "load-0-warmup", deadline, API_KEYS[0]);
      if (!warm.ok) throw new Error(`warm-up chat failed: ${warm.error}`);
      // Its log line comes a moment later: count from after it.
      for (let i = 0; i < 100 && !logs.lines().some((line) => line.includes('"path":"/api/chat"')); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      logs.reset();

      const started = performance.now();
      const outcomes: Outcome[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < CHATS && !deadline.aborted) {
            const i = next++;
            outcomes.push(await chat(base, `load-${i}-${crypto.randomUUID()}`, deadline, API_KEYS[i % API_KEYS.length]));
          }
        }),
      );
      const wallS = (performance.now() - started) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 500)); // the last log lines
      exitCode = report(outcomes, wallS, logs.lines());
    }
  } finally {
    await worker.stop();
    await fake.close();
  }
  process.exit(exitCode);
}

/** The soak against a running Worker; `processes`: the workerd processes whose RSS is sampled. `logs`: wrangler's (not with --direct). */
async function soak(
  base: URL,
  fakeUrl: string,
  deadline: AbortSignal,
  processes: () => { name: string; pid: number }[],
  logs?: ReturnType<typeof requestLogs>,
  heap?: () => Promise<number>,
): Promise<number> {
  const settings = [...Object.entries(SOAK_VARS).map(([k, v]) => `${k}=${v}`), DIRECT ? "Miniflare, no dev proxy" : "wrangler's dev server"].join(", ");
  console.log(`chatapi soak: ${CHATS} chats in ${ROUNDS} rounds (plain and resumable; whole, slow readers, clients leaving mid-stream and in quiet phases), each round's started over ${RAMP_S} s, at most ${TIMEOUT_S} s, at ${base.origin} (fake Azure ${fakeUrl}); ${settings}`);
  const warm = await chat(base, "load-0-warmup", deadline, API_KEYS[0]);
  if (!warm.ok) throw new Error(`warm-up chat failed: ${warm.error}`);
  const memory = processes();
  if (!memory.some((m) => m.name.startsWith("the Worker"))) throw new Error("could not find the Worker's workerd process (Linux /proc needed)");
  logs?.reset();
  const report = await runSoak({ base, fakeUrl, apiKeys: API_KEYS, chats: CHATS, rounds: ROUNDS, rampMs: RAMP_S * 1000, signal: deadline, cancelWithinMs: 1000, memory, settleMs: SETTLE_S * 1000, kinds: KIND_LIST, heapAfterGc: heap });
  let leaks = 0;
  if (logs) {
    leaks = logs.lines().filter((line) => [AZURE_KEY, ...API_KEYS, "soak-user-", "echo: "].some((s) => line.includes(s)) || /soak-\d+-/.test(line)).length;
    console.log(`request logs: ${logs.lines().length} lines, ${leaks} with a secret or message text`);
  }
  const pass = printSoak(report, { cancelWithinMs: 1000, flatMiB: FLAT_MIB, settings }) && leaks === 0;
  return pass ? 0 : 1;
}

async function chat(base: URL, nonce: string, signal: AbortSignal, apiKey: string): Promise<Outcome> {
  const words = Array.from({ length: WORDS }, (_, i) => `w${i}`).join(" ");
  const text = `${nonce} ${words}`;
  const expected = `echo: ${text}`;
  const t0 = performance.now();
  let ttfbMs = 0;
  try {
    const res = await fetch(new URL("/api/chat", base), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ user_id: `load-user-${nonce}`, query: [{ role: "user", content: `[[fake:echo delay=${DELAY_MS}]] ${text}` }] }),
      signal,
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const requestId = res.headers.get("x-request-id");
    const arrivals = await readNdjsonTimed<Event>(res.body!);
    if (!arrivals.length) throw new Error("an empty stream");
    ttfbMs = arrivals[0].at - t0;
    const events = arrivals.map((a) => a.event);
    const deltas = checkEvents(events, requestId, nonce, expected);
    return { ok: true, ttfbMs, totalMs: performance.now() - t0, deltas };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err), ttfbMs, totalMs: performance.now() - t0, deltas: 0 };
  }
}

/** Whole, in order, unmixed; returns the number of deltas. */
function checkEvents(events: Event[], requestId: string | null, nonce: string, expected: string): number {
  const fail = (why: string) => {
    throw new Error(`${why} (${nonce})`);
  };
  if (!requestId) fail("no X-Request-Id");
  if (events.some((e) => e.requestId !== requestId)) fail("an event of another request");
  const terminals = events.filter((e) => e.type === "done" || e.type === "error");
  if (terminals.length !== 1 || events.at(-1) !== terminals[0]) fail("not exactly one terminal event, last");
  const end = terminals[0];
  if (end.type !== "done" || end.code !== 200) fail(`ended with ${end.type} ${end.code}`);
  const first = events[0];
  if (first.type !== "step" || first.step?.tool_type !== "System" || first.step.tool_status !== "Start") fail("does not start with the System step");
  const model = events.find((e) => e.type === "step" && (e.step?.tool_type === "AzureOpenAI" || e.step?.tool_type === "OpenAI") && e.step.tool_status === "Start");
  if (!model) fail("no model step (AzureOpenAI or OpenAI)");
  const deltas = events.filter((e) => e.type === "delta");
  if (events.indexOf(deltas[0]) < events.indexOf(model!)) fail("a delta before its model step");
  if (deltas.some((d) => d.message_id !== model!.step!.message_id)) fail("a delta of another step");
  const answer = deltas.map((d) => d.text).join("");
  if (answer !== end.data?.answer) fail("deltas do not concatenate to data.answer");
  if (answer !== expected) fail(`answer is not its own echo: ${JSON.stringify(answer.slice(0, 80))}`);
  if ((answer.match(/load-\d+-/g) ?? []).length !== 1) fail("another chat's nonce in the answer");
  if (deltas.length < 3) fail("not a multi-chunk answer");
  return deltas.length;
}

function report(outcomes: Outcome[], wallS: number, logLines: string[]): number {
  const ok = outcomes.filter((o) => o.ok);
  const failed = outcomes.filter((o) => !o.ok);
  const ttfb = ok.map((o) => o.ttfbMs);
  const total = ok.map((o) => o.totalMs);
  const deltas = ok.reduce((sum, o) => sum + o.deltas, 0);
  const leaks = logLines.filter((line) => [AZURE_KEY, ...API_KEYS, "load-user-", "echo: "].some((s) => line.includes(s)) || /load-\d+-/.test(line));
  const chatLines = logLines.filter((line) => line.includes('"path":"/api/chat"'));
  const ms = (xs: number[], p: number) => `${pct(xs, p).toFixed(0)} ms`;
  console.log("");
  console.log(`chats           ${outcomes.length} (of ${CHATS}), concurrency ${CONCURRENCY}`);
  console.log(`succeeded       ${ok.length}   failed ${failed.length}`);
  console.log(`first byte      p50 ${ms(ttfb, 50)}   p95 ${ms(ttfb, 95)}   p99 ${ms(ttfb, 99)}`);
  console.log(`total           p50 ${ms(total, 50)}   p95 ${ms(total, 95)}   p99 ${ms(total, 99)}`);
  console.log(`throughput      ${(ok.length / wallS).toFixed(1)} chats/s, ${(deltas / wallS).toFixed(0)} deltas/s (wall ${wallS.toFixed(1)} s)`);
  const logged = chatLines.map((line) => JSON.parse(line.slice(line.indexOf("{"))) as { ttfb_ms?: number; duration_ms?: number });
  const inWorker = (key: "ttfb_ms" | "duration_ms") => logged.map((l) => l[key]).filter((v): v is number => typeof v === "number");
  console.log(`in the Worker   first byte p50 ${ms(inWorker("ttfb_ms"), 50)}   p99 ${ms(inWorker("ttfb_ms"), 99)};   total p50 ${ms(inWorker("duration_ms"), 50)}   p99 ${ms(inWorker("duration_ms"), 99)}   (from its log lines)`);
  console.log(`request logs    ${chatLines.length} lines for ${outcomes.length} chats, ${leaks.length} with a secret or message text`);
  for (const f of failed.slice(0, 10)) console.log(`  failed: ${f.error}`);
  const pass = failed.length === 0 && outcomes.length === CHATS && chatLines.length === CHATS && leaks.length === 0;
  console.log(pass ? "\nPASS: every answer arrived whole, in order and unmixed" : "\nFAIL");
  return pass ? 0 : 1;
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The Worker's request log lines, as wrangler prints them: kept to count and scan, not printed. */
function requestLogs() {
  let lines: string[] = [];
  return {
    onLine: (line: string) => {
      if (line.includes('"msg":"request"')) lines.push(line);
    },
    lines: () => lines,
    reset: () => (lines = []),
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
