/**
 * End to end through the real `wrangler dev`: the fake Azure upstream over HTTP, the stream read
 * as it arrives. Proves each chunk is passed on at once and a client that leaves cancels upstream.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newNonce, waitForFake } from "../support/fake-azure-client";
import { startWranglerDev, type WranglerDev } from "../support/wrangler-dev";

let dev: WranglerDev;
const fake = () => inject("fakeAzureUrl");

beforeAll(async () => {
  dev = await startWranglerDev({
    AZURE_OPENAI_ENDPOINT: fake(),
    AZURE_OPENAI_API_KEY: "e2e-azure-key-51c2",
    ALLOW_ANONYMOUS: "true",
    UPSTREAM_TIMEOUT_MS: "5000",
  });
}, 90_000);

afterAll(async () => {
  await dev?.stop();
});

function chat(text: string, init: RequestInit = {}) {
  return fetch(`${dev.url}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
    body: JSON.stringify({ user_id: "e2e", query: [{ role: "user", content: text }] }),
    signal: init.signal,
  });
}

interface Arrival {
  at: number;
  line: Record<string, unknown>;
}

/** Reads NDJSON as it arrives, stamping each event with its arrival time. */
async function readTimed(res: Response): Promise<Arrival[]> {
  const out: Arrival[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    const at = performance.now();
    buffered += decoder.decode(bytes, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      out.push({ at, line: JSON.parse(buffered.slice(0, nl)) });
      buffered = buffered.slice(nl + 1);
    }
  }
  expect(buffered).toBe("");
  return out;
}

describe("through wrangler dev", () => {
  it("passes each upstream chunk on at once: the first delta arrives long before the last", async () => {
    // 40 chunks, 50 ms apart: about 2 s of answer.
    const sentAt = performance.now();
    const res = await chat("[[fake:chunks n=40 delay=50]]");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const events = await readTimed(res);
    const deltas = events.filter((e) => e.line.type === "delta");
    expect(deltas).toHaveLength(40);
    expect(deltas.map((d) => d.line.text).join("")).toBe(Array.from({ length: 40 }, (_, i) => `w${i} `).join(""));
    const first = deltas[0].at - sentAt;
    const spread = deltas.at(-1)!.at - deltas[0].at;
    // Buffering would deliver them together; streaming spreads them over the upstream's ~1.95 s.
    expect(spread).toBeGreaterThan(1500);
    expect(first).toBeLessThan(deltas.at(-1)!.at - sentAt - 1500);
    // And no batching across chunks: deltas arrive in many separate reads.
    expect(new Set(deltas.map((d) => d.at)).size).toBeGreaterThan(30);
    expect(events.at(-1)!.line).toMatchObject({ type: "done", code: 200 });
  });

  it("streams SSE through wrangler dev too", async () => {
    const res = await chat("hello sse", { headers: { accept: "text/event-stream" } });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const text = await res.text();
    expect(text).toMatch(/^event: step\ndata: \{/);
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

  it("answers errors before the stream with the HTTP status and the envelope", async () => {
    const res = await chat("[[fake:prompt_filter]]");
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ code: 400, requestId: res.headers.get("x-request-id") });
  });

  it("never prints the Azure key", () => {
    expect(dev.output()).not.toContain("e2e-azure-key-51c2");
  });
});
