/**
 * `npm run bench`: what chatapi costs on top of simply proxying Azure's stream, measured in one
 * run against the same local fake upstream (tools/fake-azure.ts, Azure's wire format).
 *
 *   - chatapi: the deployable bundle (`wrangler deploy --dry-run`), in its own workerd (Miniflare,
 *     tools/miniflare-worker.ts: not `wrangler dev`, see there why).
 *   - pass-through: a Worker that POSTs the same Azure request and pipes the bytes back unparsed,
 *     in another workerd (the budget's baseline).
 *   - js-floor: the same, but the bytes go through a JS read loop and are written back unparsed:
 *     the least any Worker that looks at the stream can spend, shown for context.
 *
 * Figures: median time to the first answer text (added latency), workerd CPU per streamed
 * 2,000-chunk answer (from /proc: each workerd's utime+stime, all threads) for three upstream
 * pacings, and the bundle's size.
 * Budgets (issue 2): ≤ 5 ms added median latency, ≤ 2× the pass-through's CPU, ≤ 250 KiB gzip.
 * Loopback only; bounded in count; stops by itself. Options: --runs N (latency samples, default
 * 200), --answers N (2,000-chunk answers per side, default 20), --chunks N (default 2000).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { startFakeAzure } from "../tools/fake-azure";
import { cpuMs, startMiniflareWorker } from "../tools/miniflare-worker";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("runs", 200);
const ANSWERS = arg("answers", 20);
const CHUNKS = arg("chunks", 2000);
const root = new URL("..", import.meta.url).pathname;
const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))![1];

/** A Worker that POSTs the request body to the same upstream and answers with `respond`. */
const upstreamWorker = (respond: string) => `
export default {
  async fetch(request, env) {
    const upstream = await fetch(env.UPSTREAM, {
      method: "POST",
      headers: { "content-type": "application/json", "api-key": "bench-key" },
      body: request.body,
    });
    ${respond}
  },
};`;

/** The bytes piped back natively: they never enter JS. */
const PASS_THROUGH = upstreamWorker(`return new Response(upstream.body, { headers: { "content-type": "text/event-stream" } });`);

/** The bytes read and written back in JS, unparsed. */
const JS_FLOOR = upstreamWorker(`const pipe = new IdentityTransformStream();
    const writer = pipe.writable.getWriter();
    (async () => {
      const reader = upstream.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        writer.write(value);
      }
      writer.close();
    })();
    return new Response(pipe.readable, { headers: { "content-type": "text/event-stream" } });`);

function buildBundle(): { path: string; raw: number; gzip: number } {
  const out = mkdtempSync(join(tmpdir(), "chatapi-bench-"));
  execFileSync(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", out], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: "ignore",
  });
  const path = join(out, "index.js");
  const bytes = readFileSync(path);
  return { path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

interface Side {
  name: string;
  url: string;
  pid: number;
  request(text: string): Request;
  /** True once the bytes so far hold answer text. */
  hasText(soFar: string): boolean;
}

/** Time (ms) from sending to the first answer text, and the whole body. */
async function timeFirstText(side: Side, text: string): Promise<{ firstMs: number; body: string }> {
  const started = performance.now();
  const res = await fetch(side.request(text));
  if (!res.ok) throw new Error(`${side.name}: HTTP ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let body = "";
  let firstMs = NaN;
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    body += decoder.decode(bytes, { stream: true });
    if (Number.isNaN(firstMs) && side.hasText(body)) firstMs = performance.now() - started;
  }
  return { firstMs, body };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main() {
  console.log(`chatapi bench: ${RUNS} latency runs, ${ANSWERS} answers of ${CHUNKS} chunks per side (workerd via Miniflare, loopback only)\n`);
  const bundle = buildBundle();
  const fake = await startFakeAzure();
  const azureRequest = (text: string) =>
    JSON.stringify({ model: "gpt-4.1", messages: [{ role: "user", content: text }], stream: true, stream_options: { include_usage: true } });

  const ours = await startMiniflareWorker({
    modules: true,
    scriptPath: bundle.path,
    modulesRoot: dirname(bundle.path),
    compatibilityDate,
    bindings: { AZURE_OPENAI_ENDPOINT: fake.url, AZURE_OPENAI_API_KEY: "bench-key", AZURE_OPENAI_DEPLOYMENT_NAME: "gpt-4.1", ALLOW_ANONYMOUS: "true", UPSTREAM_TIMEOUT_MS: "30000" },
  });
  const upstream = new URL("openai/deployments/gpt-4.1/chat/completions?api-version=2024-10-21", fake.url).toString();
  const pass = await startMiniflareWorker({ modules: true, script: PASS_THROUGH, compatibilityDate, bindings: { UPSTREAM: upstream } });
  const floor = await startMiniflareWorker({ modules: true, script: JS_FLOOR, compatibilityDate, bindings: { UPSTREAM: upstream } });

  const sides: Side[] = [
    {
      name: "chatapi",
      ...ours,
      request: (text) =>
        new Request(new URL("api/chat", ours.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user_id: "bench", query: [{ role: "user", content: text }] }) }),
      hasText: (s) => s.includes('"type":"delta"'),
    },
    {
      name: "pass-through",
      ...pass,
      request: (text) => new Request(pass.url, { method: "POST", headers: { "content-type": "application/json" }, body: azureRequest(text) }),
      hasText: (s) => /"content":"[^"]/.test(s),
    },
    {
      name: "js-floor",
      ...floor,
      request: (text) => new Request(floor.url, { method: "POST", headers: { "content-type": "application/json" }, body: azureRequest(text) }),
      hasText: (s) => /"content":"[^"]/.test(s),
    },
  ];

  try {
    // Warm both isolates.
    for (const side of sides) for (let i = 0; i < 20; i++) await timeFirstText(side, "[[fake:chunks n=20]] warm");

    // 1. Added latency to the first answer text: alternate the sides, short answers.
    const first: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const side of i % 2 ? sides : [...sides].reverse()) first[side.name].push((await timeFirstText(side, `[[fake:chunks n=5]] latency ${i}`)).firstMs);
    }

    // 2. CPU per streamed answer: one side at a time, sequential answers, workerd CPU from /proc.
    const cpu: Record<string, { bulk: number; burst: number; paced: number }> = {};
    for (const side of sides) {
      const run = async (text: string, count: number) => {
        const before = cpuMs(side.pid);
        for (let i = 0; i < count; i++) {
          const { body } = await timeFirstText(side, text);
          if (!body.includes(`w${CHUNKS - 1} `)) throw new Error(`${side.name}: incomplete answer`);
        }
        return (cpuMs(side.pid) - before) / count;
      };
      cpu[side.name] = {
        // Bulk: the upstream writes 64 KiB at a time, so one network read holds many chunks.
        bulk: await run(`[[fake:chunks n=${CHUNKS} split=65536]] cpu`, ANSWERS),
        // Burst: each chunk written on its own, as fast as the upstream can: about one chunk per read.
        burst: await run(`[[fake:chunks n=${CHUNKS}]] cpu`, ANSWERS),
        // Paced: one chunk per network read (1 ms apart), the worst case for per-read work.
        paced: await run(`[[fake:chunks n=${CHUNKS} delay=1]] cpu`, Math.max(2, Math.round(ANSWERS / 5))),
      };
    }

    const ms = (x: number) => `${x.toFixed(2)} ms`;
    console.log("Time to first answer text (median / p95):");
    for (const side of sides) console.log(`  ${side.name.padEnd(13)} ${ms(median(first[side.name]))} / ${ms(pct(first[side.name], 95))}`);
    const added = median(first.chatapi) - median(first["pass-through"]);
    console.log(`  added median latency: ${ms(added)}  (budget ≤ 5 ms) ${added <= 5 ? "OK" : "OVER"}\n`);

    console.log(`workerd CPU per ${CHUNKS}-chunk answer (bulk: 64 KiB upstream writes; burst: one chunk per write, no pause; paced: 1 ms apart):`);
    const modes = ["bulk", "burst", "paced"] as const;
    for (const side of sides) console.log(`  ${side.name.padEnd(13)} ${modes.map((m) => `${m} ${ms(cpu[side.name][m])}`).join("   ")}`);
    const ratios = (name: string) => modes.map((m) => cpu[name][m] / cpu["pass-through"][m]);
    const ours = ratios("chatapi");
    const floorRatios = ratios("js-floor");
    console.log(`  chatapi / pass-through: ${modes.map((m, i) => `${m} ${ours[i].toFixed(2)}×`).join(", ")}  (budget ≤ 2×) ${Math.max(...ours) <= 2 ? "OK" : "OVER"}`);
    console.log(`  js-floor / pass-through: ${modes.map((m, i) => `${m} ${floorRatios[i].toFixed(2)}×`).join(", ")}  (reading and writing the stream in JS, no parsing)`);
    console.log(`  chatapi / js-floor: ${modes.map((m) => `${m} ${(cpu.chatapi[m] / cpu["js-floor"][m]).toFixed(2)}×`).join(", ")}  (what parsing, events and steps add)\n`);

    console.log(`Bundle (wrangler deploy --dry-run): ${(bundle.raw / 1024).toFixed(1)} KiB, gzip ${(bundle.gzip / 1024).toFixed(1)} KiB  (budget ≤ 250 KiB gzip) ${bundle.gzip <= 250 * 1024 ? "OK" : "OVER"}`);
  } finally {
    await Promise.all([ours.mf.dispose(), pass.mf.dispose(), floor.mf.dispose()]);
    await fake.close();
  }
}

await main();
