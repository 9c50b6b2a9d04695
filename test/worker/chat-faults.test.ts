/**
 * Upstream faults (docs/api.md, "Errors"), each against the fake Azure over real HTTP. A stream starts
 * at once, so an upstream failure ends it with an error event; JSON answers with the envelope and
 * the HTTP status equal to its code.
 */
import { describe, expect, it } from "vitest";
import { fakeRequests, newNonce, scriptFake, waitForFake } from "../../tools/fakes/fake-azure-client";
import type { Envelope } from "../../src/schema/events";
import { deltas, envelopeOf, fakeUrl, ndjson, post, terminal, userText } from "./helpers";

const SECRET = "test-azure-key-7f3a9c";

/** The terminal error event of a streamed chat, which must have started with 200. */
async function streamedError(res: Response) {
  expect(res.status).toBe(200);
  const events = await ndjson(res);
  const end = terminal(events);
  expect(end.type).toBe("error");
  return end;
}

describe("retries before the first byte", () => {
  it.each([
    ["429 with retry-after-ms", "status=429 fail=2 retry_after_ms=40"],
    ["429 with retry-after seconds", "status=429 fail=1 retry_after=0"],
    ["503 without retry headers", "status=503 fail=2"],
    ["500", "status=500 fail=1"],
  ])("retries %s and then streams the answer", async (_, opts) => {
    const nonce = newNonce();
    const fails = Number(/fail=(\d)/.exec(opts)![1]);
    const events = await ndjson(await post(userText(`[[fake:error ${opts} nonce=${nonce}]] ${nonce}`)));
    expect(terminal(events).type).toBe("done");
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(fails + 1);
  });

  it("gives up after two retries: JSON gets the 429 with Retry-After, a stream a 429 error event with retry_after_ms", async () => {
    const nonce = newNonce();
    const res = await post(userText(`[[fake:error status=429 retry_after_ms=30 nonce=${nonce}]] ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = await envelopeOf(res);
    expect(body.message).toMatch(/rate limit/i);
    expect(body.data.steps.map((s) => [s.tool_type, s.tool_status])).toEqual([
      ["System", "Error"],
      ["InputParser", "Success"],
      ["AzureOpenAI", "Error"],
    ]);
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(3);

    const streamNonce = newNonce();
    const end = await streamedError(await post(userText(`[[fake:error status=429 retry_after_ms=30 nonce=${streamNonce}]] ${streamNonce}`)));
    expect(end).toMatchObject({ code: 429, data: { retry_after_ms: 1000 } });
    expect(end.message).toMatch(/rate limit/i);
    expect(await fakeRequests(fakeUrl(), streamNonce)).toHaveLength(3);
  });

  it("does not wait longer than the retry budget: a long retry-after is passed to the client at once", async () => {
    const nonce = newNonce();
    const started = Date.now();
    const res = await post(userText(`[[fake:error status=429 retry_after=30 nonce=${nonce}]] ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(1);
    const streamNonce = newNonce();
    const end = await streamedError(await post(userText(`[[fake:error status=429 retry_after=30 nonce=${streamNonce}]] ${streamNonce}`)));
    expect(end).toMatchObject({ code: 429, data: { retry_after_ms: 30_000 } });
  });

  it("turns persistent 5xx into a 502 (JSON envelope, or error event)", async () => {
    const nonce = newNonce();
    const res = await post(userText(`[[fake:error status=503 nonce=${nonce}]] ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(502);
    expect((await envelopeOf(res)).message).toMatch(/HTTP 503/);
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(3);
    const end = await streamedError(await post(userText(`[[fake:error status=503 nonce=${newNonce()}]]`)));
    expect(end).toMatchObject({ code: 502, message: expect.stringMatching(/HTTP 503/) });
  });
});

describe("configuration problems upstream", () => {
  it("reports Azure's 401 as a 502 that points at the key without echoing it", async () => {
    const res = await post(userText("[[fake:auth]]"), { accept: "application/json" });
    expect(res.status).toBe(502);
    const body = await envelopeOf(res);
    expect(body.message).toMatch(/AZURE_OPENAI_API_KEY/);
    expect(JSON.stringify(body)).not.toContain(SECRET);
    const end = await streamedError(await post(userText("[[fake:auth]]")));
    expect(end).toMatchObject({ code: 502, message: body.message });
  });

  it("reports a missing deployment as a 502 that points at the deployment name", async () => {
    const res = await post(userText("[[fake:not_found]]"), { accept: "application/json" });
    expect(res.status).toBe(502);
    expect((await envelopeOf(res)).message).toMatch(/AZURE_OPENAI_DEPLOYMENT_NAME/);
    expect(await streamedError(await post(userText("[[fake:not_found]]")))).toMatchObject({ code: 502, message: expect.stringMatching(/AZURE_OPENAI_DEPLOYMENT_NAME/) });
  });

  it("answers 503 saying what to set when Azure is not configured", async () => {
    const res = await post(userText("hi"), { env: { AZURE_OPENAI_ENDPOINT: "" } });
    expect(res.status).toBe(503);
    expect((await envelopeOf(res)).message).toMatch(/AZURE_OPENAI_ENDPOINT/);
    const noKey = await post(userText("hi"), { env: { AZURE_OPENAI_API_KEY: "" } });
    expect(noKey.status).toBe(503);
    expect((await envelopeOf(noKey)).message).toMatch(/AZURE_OPENAI_API_KEY/);
  });

  it("reports an unreachable endpoint as a 502", async () => {
    const env = { AZURE_OPENAI_ENDPOINT: "http://127.0.0.1:9/" };
    const res = await post(userText("hi"), { env, accept: "application/json" });
    expect(res.status).toBe(502);
    expect((await envelopeOf(res)).message).toMatch(/AZURE_OPENAI_ENDPOINT/);
    expect(await streamedError(await post(userText("hi"), { env }))).toMatchObject({ code: 502, message: expect.stringMatching(/AZURE_OPENAI_ENDPOINT/) });
  });
});

describe("content filter", () => {
  it("reports a filtered prompt as a 400 (JSON envelope, or the stream's error event)", async () => {
    const res = await post(userText("[[fake:prompt_filter]]"), { accept: "application/json" });
    expect(res.status).toBe(400);
    expect((await envelopeOf(res)).message).toMatch(/prompt was filtered.*content filter/i);
    const end = await streamedError(await post(userText("[[fake:prompt_filter]]")));
    expect(end).toMatchObject({ code: 400, message: expect.stringMatching(/prompt was filtered.*content filter/i) });
  });

  it("ends a filtered answer with an error event that keeps what was streamed", async () => {
    const res = await post(userText("[[fake:answer_filter]]"));
    expect(res.status).toBe(200);
    const events = await ndjson(res);
    const end = terminal(events);
    expect(end).toMatchObject({ type: "error", code: 400 });
    expect(end.message).toMatch(/answer was filtered.*violence/i);
    expect(end.data.answer).toBe(deltas(events));
    expect(end.data.answer!.length).toBeGreaterThan(0);
    expect(end.data.steps.at(-1)).toMatchObject({ tool_type: "AzureOpenAI", tool_status: "Error" });
  });
});

describe("broken and stalled streams", () => {
  it.each(["break", "break_socket", "break split=3"])("ends a stream cut without a finish reason (%s) with a 502 error event, never done", async (scenario) => {
    const events = await ndjson(await post(userText(`[[fake:${scenario}]]`)));
    const end = terminal(events);
    expect(end).toMatchObject({ type: "error", code: 502 });
    expect(end.data.answer ?? "").toBe(deltas(events));
    expect(events.some((e) => e.type === "done")).toBe(false);
  });

  it("times out a response that never starts with a 504", async () => {
    const started = Date.now();
    const res = await post(userText("[[fake:hang_start]]"), { env: { UPSTREAM_TIMEOUT_MS: "300" }, accept: "application/json" });
    expect(res.status).toBe(504);
    expect((await envelopeOf(res)).message).toMatch(/UPSTREAM_TIMEOUT_MS/);
    expect(Date.now() - started).toBeLessThan(2500);
    const end = await streamedError(await post(userText("[[fake:hang_start]]"), { env: { UPSTREAM_TIMEOUT_MS: "300" } }));
    expect(end).toMatchObject({ code: 504, message: expect.stringMatching(/UPSTREAM_TIMEOUT_MS/) });
  });

  it("times out a stream that stalls between chunks with a 504 error event", async () => {
    const nonce = newNonce();
    const started = Date.now();
    const events = await ndjson(await post(userText(`[[fake:hang_mid]] ${nonce}`), { env: { UPSTREAM_TIMEOUT_MS: "300" } }));
    const end = terminal(events);
    expect(end).toMatchObject({ type: "error", code: 504 });
    expect(end.data.answer).toBe(deltas(events));
    expect(Date.now() - started).toBeLessThan(2500);
    // The stalled upstream request is closed, not left hanging.
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null);
  });
});

describe("a client that disconnects", () => {
  it("cancels the upstream request at once", async () => {
    const nonce = newNonce();
    const res = await post(userText(`[[fake:chunks n=400 delay=20]] ${nonce}`));
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    await reader.cancel();
    const cancelledAt = Date.now();
    const [record] = await waitForFake(fakeUrl(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null);
    expect(record.finished).toBe(false);
    expect(record.closedByClientAt! - cancelledAt).toBeLessThan(1000);
  });

  it("cancels the upstream request of a JSON chat when the request's signal aborts", async () => {
    const nonce = newNonce();
    const client = new AbortController();
    const pending = post(userText(`[[fake:chunks n=400 delay=20]] ${nonce}`), { accept: "application/json", signal: client.signal });
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1);
    client.abort();
    const cancelledAt = Date.now();
    const [record] = await waitForFake(fakeUrl(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null);
    expect(record.finished).toBe(false);
    expect(record.closedByClientAt! - cancelledAt).toBeLessThan(1000);
    // Nobody is left to read it; the log says 499 (client closed request), not a server error.
    expect((await pending).status).toBe(499);
  });
});

describe("chunks that are not what Azure promised", () => {
  const base = 'data: {"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"object":"chat.completion.chunk"}\n\n';
  it.each([
    ["an error object mid-stream", 'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}}\n\n', /error in the middle of the stream/],
    ["data: null", "data: null\n\n", /not a chat completion chunk/],
    ["a JSON array", "data: [1,2]\n\n", /not a chat completion chunk/],
    ["broken JSON", 'data: {"choices":[\n\n', /not JSON/],
    ["a tool call without an index", 'data: {"choices":[{"delta":{"tool_calls":[{"id":"c","function":{"name":"x"}}]},"finish_reason":null}]}\n\n', /tool call/],
  ])("ends the stream with a 502 error event on %s, keeping the text so far", async (_, bad, message) => {
    const nonce = newNonce();
    await scriptFake(fakeUrl(), nonce, [{ raw: base + bad + 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n' }]);
    const events = await ndjson(await post(userText(`bad chunk ${nonce}`)));
    const end = terminal(events);
    expect(end).toMatchObject({ type: "error", code: 502 });
    expect(end.message).toMatch(message);
    expect(end.data.answer).toBe("Hel");
  });

  it("tolerates chunks without choices or with odd usage, as long as the stream finishes", async () => {
    const nonce = newNonce();
    const raw =
      'data: {"id":"x"}\n\n' +
      base +
      'data: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n' +
      'data: {"choices":[],"usage":{"prompt_tokens":"many"}}\n\ndata: [DONE]\n\n';
    await scriptFake(fakeUrl(), nonce, [{ raw }]);
    const end = terminal(await ndjson(await post(userText(`odd chunks ${nonce}`))));
    expect(end).toMatchObject({ type: "done", data: { answer: "Hello" } });
    expect(end.data.usage).toBeUndefined();
  });
});

describe("Azure's 400 messages", () => {
  it("passes Azure's reason on without echoing request content or image bytes", async () => {
    const nonce = newNonce();
    const image = "data:image/png;base64," + "iVBORw0KGgo".padEnd(400, "A");
    const message = `Invalid image URL: '${image}'. Also your text "${"a secret sentence from the user ".repeat(2)}" was too long. Context: 130000 tokens.`;
    await scriptFake(fakeUrl(), nonce, [{ status: 400, body: { error: { code: "BadRequest", message, param: "messages" } } }]);
    const res = await post(userText(`x ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(400);
    const body = await res.json<Envelope>();
    expect(body.message).toMatch(/^Azure OpenAI rejected the request: Invalid image URL/);
    expect(body.message).toContain("130000 tokens");
    expect(body.message).not.toContain("iVBORw0KGgo");
    expect(body.message).not.toContain("AAAAAAAA");
    expect(body.message).not.toContain("secret sentence");
  });
});
