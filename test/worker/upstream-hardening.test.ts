/**
 * Azure OpenAI misbehaving in ways a plain fault test does not cover: one enormous SSE line, a
 * redirect, a stream kept open by comments alone, a round that never ends, a 2xx that is not an event
 * stream, an error message that repeats our key. Each against the fake Azure over real HTTP.
 */
import { describe, expect, it } from "vitest";
import { fakeRequests, newNonce, scriptFake, waitForFake } from "../../tools/fakes/fake-azure-client";
import type { Envelope } from "../../src/schema/events";
import { deltas, fakeUrl, ndjson, post, settled, terminal, userText } from "./helpers";
import { allLogs } from "./leak-registry";

const AZURE_KEY = "test-azure-key-7f3a9c";

async function envelopeOf(res: Response): Promise<Envelope> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json<Envelope>();
  expect(body.code).toBe(res.status);
  return body;
}

describe("one long SSE line", () => {
  it("ends the stream with a 502 when one Azure event is larger than 1 MiB, and still reads one just under it", async () => {
    const near = terminal(await ndjson(await post(userText("[[fake:huge_chunk bytes=1000000]]"), { env: { MAX_ANSWER_CHARS: "2000000" } })));
    expect(near).toMatchObject({ type: "done", code: 200 });
    expect(near.data.answer).toHaveLength("ok ".length + 1_000_000);

    const started = Date.now();
    const events = await ndjson(await post(userText(`[[fake:huge_chunk bytes=${8 * 1024 * 1024}]]`)));
    const elapsed = Date.now() - started;
    console.info(`[upstream-hardening] an 8 MiB Azure SSE line was refused in ${elapsed} ms`);
    const end = terminal(events);
    expect(end).toMatchObject({ type: "error", code: 502 });
    expect(end.message).toMatch(/Azure OpenAI sent an event larger than 1 MiB/);
    expect(end.data.answer).toBe(deltas(events));
  }, 20_000);
});

describe("redirects", () => {
  it("refuses an Azure redirect to another origin with a 502 naming AZURE_OPENAI_ENDPOINT: the key and the prompt are not sent again", async () => {
    const nonce = newNonce();
    const elsewhere = new URL("openai/deployments/gpt-4.1/chat/completions?api-version=2024-10-21", fakeUrl().replace("127.0.0.1", "localhost"));
    await scriptFake(fakeUrl(), nonce, [{ raw: "", status: 307, headers: { location: elsewhere.href } }, { text: "followed the redirect" }]);
    const res = await post(userText(`redirect me ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(502);
    const body = await envelopeOf(res);
    expect(body.message).toMatch(/redirect/i);
    expect(body.message).toMatch(/AZURE_OPENAI_ENDPOINT/);
    // A followed 307 would resend the whole prompt (with the nonce) and the api-key header.
    const seen = await fakeRequests(fakeUrl(), nonce);
    expect(seen).toHaveLength(1);
    expect(seen[0].headers.host).toMatch(/^127\.0\.0\.1:/);
  });

  it("refuses a same-origin redirect too", async () => {
    const nonce = newNonce();
    await scriptFake(fakeUrl(), nonce, [{ raw: "", status: 302, headers: { location: "/somewhere/else" } }, { text: "followed" }]);
    const res = await post(userText(`redirect me ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(502);
    expect((await envelopeOf(res)).message).toMatch(/redirect.*AZURE_OPENAI_ENDPOINT/i);
  });
});

describe("deadlines", () => {
  it("ends a stream that sends only keep-alive comments and blank lines with a 504 after UPSTREAM_TIMEOUT_MS", async () => {
    const nonce = newNonce();
    const events = await ndjson(await post(userText(`[[fake:comments_only every=150]] ${nonce}`), { env: { UPSTREAM_TIMEOUT_MS: "700" } }));
    const end = terminal(events);
    expect(end).toMatchObject({ type: "error", code: 504 });
    expect(end.message).toMatch(/UPSTREAM_TIMEOUT_MS/);
    expect(end.data.answer).toBe(deltas(events));
    expect(end.data.answer).toContain("Thinking");
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null);
  });

  it("ends a round that keeps sending chunks past UPSTREAM_ROUND_TIMEOUT_MS with a 504", async () => {
    const nonce = newNonce();
    const started = Date.now();
    const events = await ndjson(await post(userText(`[[fake:chunks n=400 delay=25]] ${nonce}`), { env: { UPSTREAM_ROUND_TIMEOUT_MS: "1000" } }));
    const end = terminal(events);
    expect(end).toMatchObject({ type: "error", code: 504 });
    expect(end.message).toMatch(/UPSTREAM_ROUND_TIMEOUT_MS/);
    expect(end.data.answer).toBe(deltas(events));
    expect(end.data.answer!.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(4000);
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null);
  });

  it("counts the wait for the first byte in UPSTREAM_ROUND_TIMEOUT_MS", async () => {
    const res = await post(userText("[[fake:hang_start]]"), { accept: "application/json", env: { UPSTREAM_TIMEOUT_MS: "20000", UPSTREAM_ROUND_TIMEOUT_MS: "500" } });
    expect(res.status).toBe(504);
    expect((await envelopeOf(res)).message).toMatch(/UPSTREAM_ROUND_TIMEOUT_MS/);
  });
});

describe("a 2xx that is not an event stream", () => {
  it("answers 502 saying Azure sent 204 with no body", async () => {
    const nonce = newNonce();
    await scriptFake(fakeUrl(), nonce, [{ raw: "", status: 204 }]);
    const res = await post(userText(`nothing ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(502);
    expect((await envelopeOf(res)).message).toBe("Azure OpenAI answered 204 with no body");
  });

  it.each([
    ["text/html", "<html><body>Welcome to nginx!</body></html>", /^Azure OpenAI answered with text\/html, not an event stream: check AZURE_OPENAI_ENDPOINT/],
    ["application/json", '{"object":"chat.completion","choices":[]}', /^Azure OpenAI answered with application\/json, not an event stream: check AZURE_OPENAI_ENDPOINT/],
  ])("answers 502 (JSON envelope) when Azure answers 200 with %s", async (type, raw, message) => {
    const nonce = newNonce();
    await scriptFake(fakeUrl(), nonce, [{ raw, headers: { "content-type": type } }]);
    const res = await post(userText(`not a stream ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(502);
    expect((await envelopeOf(res)).message).toMatch(message);
  });
});

describe("secrets in Azure's error text", () => {
  it.each([400, 422])("keeps our key out of the response and the log when Azure's %s message repeats it", async (status) => {
    const nonce = newNonce();
    const message = `Header api-key '${AZURE_KEY}' is not valid for parameter 'temperature'; key ${AZURE_KEY} was rejected.`;
    await scriptFake(fakeUrl(), nonce, [{ status, body: { error: { code: "BadRequest", message, param: "temperature" } } }]);
    const res = await post(userText(`echo my key ${nonce}`), { accept: "application/json" });
    expect(res.status).toBe(400);
    const body = await envelopeOf(res);
    expect(body.message).toMatch(/^Azure OpenAI rejected the request: Header api-key '\[redacted\]' is not valid/);
    expect(JSON.stringify(body)).not.toContain(AZURE_KEY);
    await settled(res);
    const line = allLogs().find((l) => l.includes(body.requestId));
    expect(line).toBeDefined();
    expect(line).toContain("[redacted]");
    expect(allLogs().filter((l) => l.includes(AZURE_KEY))).toEqual([]);
  });
});
