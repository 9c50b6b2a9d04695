/**
 * End to end through the real `wrangler dev`, booted by the one helper (tools/run/worker.ts): the fake
 * Azure upstream over HTTP, the stream read as it arrives. Proves each chunk is passed on at once,
 * a client that leaves cancels upstream, the vars and secrets reach the Worker through a private
 * env file rather than the command line, and the static /client.js can be imported cross-origin.
 */
import { existsSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import { readNdjsonTimed } from "../../tools/ndjson";
import { startWorker, type RunningWorker } from "../../tools/run/worker";

let dev: RunningWorker;
const fake = () => inject("fakeAzureUrl");
const AZURE_KEY = "e2e-azure-key-51c2";
/** Client keys with what a shell, dotenv or dotenv-expand would otherwise read as syntax. */
const TRICKY_KEYS = ["e2e-key-$HOME-${PATH}-\\$x", "e2e-key-it's-#not-a-comment", 'e2e-key-"quoted"'];
/** An operator's instructions over several lines, with what dotenv-expand would read as a reference. */
const SYSTEM_PROMPT = "You are the e2e assistant.\nPrices are in $USD; it's ${HOME} #1.\r\n\n  Keep it short.";

/** The second Worker (without the inspector), booted beside the first; its test checks it. */
let other: Promise<RunningWorker>;

beforeAll(async () => {
  other = startWorker({ inspector: false, vars: { AZURE_OPENAI_ENDPOINT: fake(), AZURE_OPENAI_API_KEY: AZURE_KEY, API_KEYS: TRICKY_KEYS[0] }, timeoutMs: 150_000 });
  other.catch(() => {}); // reported by its test
  dev = await startWorker({
    vars: {
      AZURE_OPENAI_ENDPOINT: fake(),
      AZURE_OPENAI_API_KEY: AZURE_KEY,
      ALLOW_ANONYMOUS: "true",
      API_KEYS: TRICKY_KEYS.join(","),
      UPSTREAM_TIMEOUT_MS: "5000",
      SYSTEM_PROMPT,
    },
    timeoutMs: 150_000,
  });
}, 180_000);

afterAll(async () => {
  await Promise.all([dev?.stop(), other?.then((w) => w.stop(), () => {})]);
});

function chat(text: string, init: RequestInit = {}) {
  return fetch(`${dev.url}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
    body: JSON.stringify({ user_id: "e2e", query: [{ role: "user", content: text }] }),
    signal: init.signal,
  });
}

describe("through wrangler dev", () => {
  it("passes each upstream chunk on at once: the first delta arrives long before the last", async () => {
    // 40 chunks, 50 ms apart: about 2 s of answer.
    const sentAt = performance.now();
    const res = await chat("[[fake:chunks n=40 delay=50]]");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const events = await readNdjsonTimed(res.body!);
    const deltas = events.filter((e) => e.event.type === "delta");
    expect(deltas).toHaveLength(40);
    expect(deltas.map((d) => d.event.text).join("")).toBe(Array.from({ length: 40 }, (_, i) => `w${i} `).join(""));
    const first = deltas[0].at - sentAt;
    const spread = deltas.at(-1)!.at - deltas[0].at;
    // Buffering would deliver them together; streaming spreads them over the upstream's ~1.95 s.
    expect(spread).toBeGreaterThan(1500);
    expect(first).toBeLessThan(deltas.at(-1)!.at - sentAt - 1500);
    // And no batching across chunks: deltas arrive in many separate reads.
    expect(new Set(deltas.map((d) => d.at)).size).toBeGreaterThan(30);
    expect(events.at(-1)!.event).toMatchObject({ type: "done", code: 200 });
  });

  it("streams SSE through wrangler dev too", async () => {
    const res = await chat("hello sse", { headers: { accept: "text/event-stream" } });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const text = await res.text();
    expect(text).toMatch(/^id: 1\nevent: step\ndata: \{/);
    expect(text).toMatch(/event: done\ndata: .*"answer":"echo: hello sse"/);
  });

  it("cancels the upstream request at once when the client disconnects", async () => {
    const nonce = newNonce();
    const abort = new AbortController();
    const res = await chat(`[[fake:chunks n=500 delay=20]] ${nonce}`, { signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    const abortedAt = Date.now();
    const [record] = await waitForFake(fake(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null, 5000);
    expect(record.finished).toBe(false);
    expect(record.closedByClientAt! - abortedAt).toBeLessThan(1500);
  });

  it("answers a JSON chat's upstream error with the HTTP status and the envelope", async () => {
    const res = await chat("[[fake:prompt_filter]]", { headers: { accept: "application/json" } });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ code: 400, requestId: res.headers.get("x-request-id") });
  });

  it("never prints the Azure key", () => {
    expect(dev.output()).not.toContain(AZURE_KEY);
  });
});

describe("the boot helper (tools/run/worker.ts)", () => {
  it("passes vars and secrets in a private env file, never on wrangler's command line", () => {
    const commandLine = dev.args.join(" ");
    for (const secret of [AZURE_KEY, ...TRICKY_KEYS]) expect(commandLine).not.toContain(secret);
    expect(commandLine).not.toContain("--var");
    expect(dev.args).toContain("--env-file");
    expect(statSync(dev.envFile).mode & 0o777).toBe(0o600);
  });

  it.each(TRICKY_KEYS.map((key, i) => [i, key]))("delivers client key %i byte for byte, $ and quotes included", async (_, key) => {
    const res = await fetch(`${dev.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ user_id: "e2e", query: [{ role: "user", content: "key check" }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"answer":"echo: key check"');
  });

  it("delivers a multi-line SYSTEM_PROMPT byte for byte: the model gets it first, the client never sees it", async () => {
    const nonce = newNonce("e2e-prompt");
    const res = await chat(`prompt check ${nonce}`);
    const text = await res.text();
    expect(text).toContain('"type":"done"');
    expect(text).not.toContain("e2e assistant");
    const [record] = await waitForFake(fake(), nonce, (r) => r.length === 1);
    expect(JSON.parse(record.body).messages[0]).toEqual({ role: "system", content: SYSTEM_PROMPT });
    expect(dev.output()).not.toContain("e2e assistant");
  });

  it("refuses a wrong key, so the keys above were really checked", async () => {
    const res = await fetch(`${dev.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer e2e-key-$HOME" },
      body: JSON.stringify({ user_id: "e2e", query: [{ role: "user", content: "key check" }] }),
    });
    expect(res.status).toBe(401);
  });

  it("boots without the inspector too (as for load), with the same env file, removed when it stops", async () => {
    const started = await other;
    try {
      expect(started.args.join(" ")).not.toContain(AZURE_KEY);
      expect(statSync(started.envFile).mode & 0o777).toBe(0o600);
      const res = await fetch(`${started.url}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TRICKY_KEYS[0]}` },
        body: JSON.stringify({ user_id: "e2e", query: [{ role: "user", content: "no inspector" }] }),
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('"answer":"echo: no inspector"');
    } finally {
      await started.stop();
    }
    expect(existsSync(started.envFile)).toBe(false);
  }, 90_000);
});

describe("static assets", () => {
  it("serves /client.js with Access-Control-Allow-Origin: *, so pages on other origins can import it", async () => {
    const res = await fetch(`${dev.url}/client.js`, { headers: { origin: "https://app.example.test" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.text()).toContain("export {");
  });

  it("keeps the page itself same-origin, and does not serve public/_headers", async () => {
    const page = await fetch(`${dev.url}/`, { headers: { origin: "https://app.example.test" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("access-control-allow-origin")).toBeNull();
    await page.arrayBuffer();
    const headersFile = await fetch(`${dev.url}/_headers`);
    expect(headersFile.status).toBe(404);
    await headersFile.arrayBuffer();
  });
});
