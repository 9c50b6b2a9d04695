/**
 * `npm run load`: hundreds of concurrent streaming chats through wrangler's dev server (the Worker
 * in workerd, as `wrangler dev` runs it, with wrangler.toml's bindings: keys, rate limits) against
 * the local fake Azure upstream (test/support/fake-azure.ts, in this process, on its own thread). Loopback only,
 * bounded in count and time, stops by itself; exit code 1 if any chat failed.
 *
 * Each chat carries its own nonce and asks the fake for a multi-chunk echo of it; every answer must
 * arrive whole, in order and unmixed with another's: all its events carry its request id, steps
 * come before deltas, deltas belong to its model step and concatenate to `data.answer`, which is the
 * echo of its own nonce and words, and exactly one `done` ends it. It also counts the Worker's
 * request log lines: exactly one per chat, none holding a secret or a nonce (message text).
 *
 *   npm run load -- [--chats 300] [--concurrency 300] [--words 24] [--delay 5] [--timeout 120]
 *
 * wrangler dev's inspector proxy posts a log line per network event, which swamps the CPU and can
 * exhaust file descriptors under load: the inspector is off here (`dev.inspector: false`).
 */
import { Worker } from "node:worker_threads";
import { unstable_startWorker } from "wrangler";

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
const API_KEY = `load-api-key-${crypto.randomUUID()}`;

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
  const logs = captureRequestLogs();
  const fake = await startUpstream();
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    envFiles: [],
    sendMetrics: false,
    bindings: {
      AZURE_OPENAI_ENDPOINT: { type: "plain_text", value: fake.url },
      AZURE_OPENAI_API_KEY: { type: "secret_text", value: AZURE_KEY },
      API_KEYS: { type: "secret_text", value: API_KEY },
      ALLOW_ANONYMOUS: { type: "plain_text", value: "false" },
      MCP_SERVER_URL: { type: "plain_text", value: "" },
      UPSTREAM_TIMEOUT_MS: { type: "plain_text", value: "30000" },
      // wrangler.toml's per-key limit (600 a minute) would refuse a run of more chats than that.
      ...(CHATS > 500 ? { KEY_RATE_LIMITER: { type: "ratelimit", namespace_id: "1001", simple: { limit: CHATS * 2, period: 60 } } } : {}),
    },
    dev: { inspector: false, watch: false, liveReload: false, persist: false, logLevel: "log", server: { hostname: "127.0.0.1", port: 0 } },
  });
  let exitCode = 1;
  try {
    await worker.ready;
    const base = await worker.url;
    if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) throw new Error(`not loopback: ${base}`);
    console.log(`chatapi load: ${CHATS} streaming chats, ${CONCURRENCY} at a time, ${WORDS + 2} chunks each ${DELAY_MS} ms apart, through wrangler dev at ${base.origin} (fake Azure ${fake.url})`);

    // One warm-up chat (bundling, first isolate) outside the figures.
    const warm = await chat(base, "load-0-warmup", deadline);
    if (!warm.ok) throw new Error(`warm-up chat failed: ${warm.error}`);
    logs.reset();

    const started = performance.now();
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CHATS && !deadline.aborted) outcomes.push(await chat(base, `load-${next++}-${crypto.randomUUID()}`, deadline));
      }),
    );
    const wallS = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last log lines
    exitCode = report(outcomes, wallS, logs.lines());
  } finally {
    logs.stop();
    await worker.dispose();
    await fake.close();
  }
  process.exit(exitCode);
}

async function chat(base: URL, nonce: string, signal: AbortSignal): Promise<Outcome> {
  const words = Array.from({ length: WORDS }, (_, i) => `w${i}`).join(" ");
  const text = `${nonce} ${words}`;
  const expected = `echo: ${text}`;
  const t0 = performance.now();
  let ttfbMs = 0;
  try {
    const res = await fetch(new URL("/api/chat", base), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ user_id: `load-user-${nonce}`, query: [{ role: "user", content: `[[fake:echo delay=${DELAY_MS}]] ${text}` }] }),
      signal,
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const requestId = res.headers.get("x-request-id");
    const decoder = new TextDecoder();
    let buffered = "";
    const events: Event[] = [];
    for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!ttfbMs) ttfbMs = performance.now() - t0;
      buffered += decoder.decode(bytes, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        events.push(JSON.parse(buffered.slice(0, nl)) as Event);
        buffered = buffered.slice(nl + 1);
      }
    }
    if (buffered) throw new Error("the stream ended mid-line");
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
  const leaks = logLines.filter((line) => [AZURE_KEY, API_KEY, "load-user-", "echo: "].some((s) => line.includes(s)) || /load-\d+-/.test(line));
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

/**
 * The Worker's request log lines come out through wrangler on this process's stdout: keep them
 * (to count and scan) instead of printing hundreds of lines, and drop wrangler's line per request.
 */
function captureRequestLogs() {
  let lines: string[] = [];
  let partial = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = partial + (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    const keep = parts.filter((line) => {
      if (line.includes('"msg":"request"')) lines.push(line);
      // wrangler's own line per request is dropped too.
      return !line.includes('"msg":"request"') && !/^\[wrangler:info\] (POST|GET) \//.test(line);
    });
    if (keep.length) return (write as (s: string, ...r: unknown[]) => boolean)(keep.join("\n") + "\n", ...rest);
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    lines: () => lines,
    reset: () => (lines = []),
    stop: () => {
      process.stdout.write = write;
      if (partial) write(partial);
    },
  };
}

/**
 * The fake Azure, in this process but on a thread of its own: sharing one event loop with 300
 * clients would make the load generator, not the Worker, the bottleneck. (tsx's loader is not
 * inherited by worker threads: the thread registers it, then imports the fake.)
 */
async function startUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const fakeModule = new URL("../test/support/fake-azure.ts", import.meta.url).href;
  const code = `
    const { parentPort } = require("node:worker_threads");
    import("tsx/esm/api")
      .then(({ register }) => { register(); return import(${JSON.stringify(fakeModule)}); })
      .then(({ startFakeAzure }) => startFakeAzure())
      .then((fake) => parentPort.postMessage(fake.url));`;
  const thread = new Worker(code, { eval: true });
  const url = await new Promise<string>((resolve, reject) => {
    thread.once("message", resolve);
    thread.once("error", reject);
  });
  return { url, close: () => thread.terminate().then(() => undefined) };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
