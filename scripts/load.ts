/**
 * `npm run load`: hundreds of concurrent streaming chats through wrangler's dev server (the Worker
 * in workerd, booted by tools/worker.ts as for the tests, with wrangler.toml's bindings: keys, rate
 * limits) against the local fake Azure upstream (tools/fake-azure-thread.ts: in this process, on its
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
 * wrangler.toml allows 600 chats a minute per API key: the chats are spread over enough keys. The
 * dev server runs without the DevTools inspector (see tools/worker.ts).
 */
import { startFakeAzureThread } from "../tools/fake-azure-thread";
import { readNdjsonTimed } from "../tools/ndjson";
import { startWorker } from "../tools/worker";

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
const CHATS = option("chats", 300, 5000);
const CONCURRENCY = Math.min(option("concurrency", CHATS, 1000), CHATS);
const WORDS = option("words", 24, 500);
const DELAY_MS = option("delay", 5, 1000);
const TIMEOUT_S = option("timeout", 120, 900);

const AZURE_KEY = `load-azure-key-${crypto.randomUUID()}`;
/** One key per 500 chats (under wrangler.toml's KEY_RATE_LIMITER of 600 a minute). */
const API_KEYS = Array.from({ length: Math.ceil(CHATS / 500) }, () => `load-api-key-${crypto.randomUUID()}`);

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
  const worker = await startWorker({
    vars: {
      AZURE_OPENAI_ENDPOINT: fake.url,
      AZURE_OPENAI_API_KEY: AZURE_KEY,
      API_KEYS: API_KEYS.join(","),
      ALLOW_ANONYMOUS: "false",
      MCP_SERVER_URL: "",
      UPSTREAM_TIMEOUT_MS: "30000",
    },
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
  } finally {
    await worker.stop();
    await fake.close();
  }
  process.exit(exitCode);
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
  const model = events.find((e) => e.type === "step" && e.step?.tool_type === "AzureOpenAI" && e.step.tool_status === "Start");
  if (!model) fail("no AzureOpenAI step");
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
