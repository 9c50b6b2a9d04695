import { AzureOpenAI, OpenAI } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_MESSAGE, PROMPT_FILTER_MESSAGE } from "../../tools/fakes/azure-wire";
import { schemaErrors } from "../support/azure-schema";
import { startFakeAzure, type FakeAzure } from "../../tools/fakes/fake-azure";
import { fakeRequests, newNonce, scriptFake, waitForFake } from "../../tools/fakes/fake-azure-client";
import { UNICODE_TEXT } from "../../tools/fakes/fake-azure-scenarios";
import { contentOf, readPieces, sseChunks } from "../../tools/sse";

let fake: FakeAzure;
beforeAll(async () => { fake = await startFakeAzure(); });
afterAll(async () => { await fake.close(); });

const chatUrl = (dep = "gpt-4.1", version = "2024-10-21") =>
  `${fake.url}openai/deployments/${dep}/chat/completions${version ? `?api-version=${version}` : ""}`;
function post(body: unknown, init: { headers?: Record<string, string>; signal?: AbortSignal; url?: string } = {}) {
  return fetch(init.url ?? chatUrl(), {
    method: "POST",
    headers: { "content-type": "application/json", "api-key": "test-key", ...init.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: init.signal,
  });
}
const ask = (text: string, extra: Record<string, unknown> = {}) =>
  ({ messages: [{ role: "system", content: "be brief" }, { role: "user", content: text }], stream: true, stream_options: { include_usage: true }, ...extra });
const noNulls = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x === null ? undefined : x)));

describe("stream wire format", () => {
  it("streams the default echo exactly as Azure does", async () => {
    const res = await post(ask("hello there"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const text = await res.text();
    expect(text.startsWith('data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,')).toBe(true);
    expect(text.endsWith("\n\ndata: [DONE]\n\n")).toBe(true);
    const { chunks, done } = sseChunks(text);
    expect(done).toBe(true);
    const [first, ...rest] = chunks;
    expect(first.choices).toEqual([]);
    expect(first.prompt_filter_results[0].content_filter_results.jailbreak).toEqual({ filtered: false, detected: false });
    expect(schemaErrors("contentFilterPromptResults", first.prompt_filter_results[0].content_filter_results)).toEqual([]);
    const usage = rest[rest.length - 1];
    expect(usage.choices).toEqual([]);
    expect(usage.usage.total_tokens).toBe(usage.usage.prompt_tokens + usage.usage.completion_tokens);
    for (const c of rest) {
      expect(schemaErrors("createChatCompletionStreamResponse", c)).toEqual([]);
      expect(c).toMatchObject({ object: "chat.completion.chunk", model: "gpt-4.1-2025-04-14", id: rest[0].id });
      expect(c.id).toMatch(/^chatcmpl-/);
      expect(c.system_fingerprint).toMatch(/^fp_/);
    }
    expect(rest[0].choices[0].delta).toEqual({ content: "", refusal: null, role: "assistant" });
    const finish = rest[rest.length - 2].choices[0];
    expect(finish).toMatchObject({ delta: {}, finish_reason: "stop", index: 0 });
    expect(contentOf(rest)).toBe("echo: hello there");
    expect(rest.slice(1, -2).every((c) => c.choices[0].finish_reason === null && c.choices[0].content_filter_results.hate)).toBe(true);
  });

  it("sends no usage chunk without stream_options.include_usage", async () => {
    const { chunks } = sseChunks(await (await post(ask("hi", { stream_options: undefined }))).text());
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe("stop");
  });

  it("answers a non-streaming request with a chat.completion body", async () => {
    const res = await post(ask("plain", { stream: false }));
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = await res.json();
    expect(schemaErrors("createChatCompletionResponse", body)).toEqual([]);
    expect(body).toMatchObject({ object: "chat.completion", choices: [{ finish_reason: "stop", message: { role: "assistant", content: "echo: plain" } }] });
  });

  it("is readable by the OpenAI SDK (AzureOpenAI)", async () => {
    const client = new AzureOpenAI({ endpoint: fake.url, apiKey: "test", apiVersion: "2024-10-21", deployment: "gpt-4.1", maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "gpt-4.1", messages: [{ role: "user", content: "sdk 你好 🌍 [[fake:echo split=16]]" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("echo: sdk 你好 🌍");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    const nonce = newNonce();
    await scriptFake(fake.url, nonce, [{ toolCalls: [{ name: "search_models", arguments: '{"query":"qwen"}' }, { name: "get_time", arguments: "{}" }] }]);
    const calls: Record<number, { name: string; args: string }> = {};
    const s2 = await client.chat.completions.create({ model: "gpt-4.1", messages: [{ role: "user", content: nonce }], stream: true });
    for await (const chunk of s2) {
      for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { name: "", args: "" };
        calls[tc.index].name += tc.function?.name ?? "";
        calls[tc.index].args += tc.function?.arguments ?? "";
      }
    }
    expect(calls).toEqual({ 0: { name: "search_models", args: '{"query":"qwen"}' }, 1: { name: "get_time", args: "{}" } });
    await expect(client.chat.completions.create({ model: "gpt-4.1", messages: [{ role: "user", content: "[[fake:error status=429]]" }] })).rejects.toMatchObject({ status: 429 });
  });
});

describe("delivery", () => {
  it("split=B writes the body in B-byte pieces that reassemble to valid SSE (cutting UTF-8 characters)", async () => {
    const res = await post(ask("[[fake:unicode split=11]]"));
    const { pieces, text } = await readPieces(res);
    expect(pieces.length).toBeGreaterThan(20);
    expect(pieces.some((p) => { try { new TextDecoder("utf-8", { fatal: true }).decode(p); return false; } catch { return true; } })).toBe(true);
    const { chunks, done } = sseChunks(text);
    expect(done).toBe(true);
    expect(contentOf(chunks)).toBe(UNICODE_TEXT);
  });

  it("keepalive interleaves comment lines and blank lines", async () => {
    const text = await (await post(ask("[[fake:echo keepalive]] kept"))).text();
    expect(text).toContain(": keep-alive\n\n\ndata: ");
    const { chunks, done } = sseChunks(text);
    expect(done).toBe(true);
    expect(contentOf(chunks)).toBe("echo: kept");
  });

  it("chunks n=N delay=MS streams N separate chunks over time", async () => {
    const t0 = performance.now();
    const { times, text } = await readPieces(await post(ask("[[fake:chunks n=40 delay=5]]")));
    const { chunks } = sseChunks(text);
    expect(contentOf(chunks)).toBe(Array.from({ length: 40 }, (_, i) => `w${i} `).join(""));
    expect(times.length).toBeGreaterThan(20);
    expect(times[0] - t0).toBeLessThan((times[times.length - 1] - t0) / 2);
  });

  it("streams 2,000 chunks quickly", async () => {
    const t0 = performance.now();
    const { chunks, done } = sseChunks(await (await post(ask("[[fake:chunks n=2000]]"))).text());
    expect(done).toBe(true);
    expect(chunks.length).toBe(2000 + 4);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe("errors", () => {
  it("fails the first K requests per nonce with 429 and retry headers, then answers", async () => {
    const marker = `[[fake:error status=429 fail=2 nonce=${newNonce()} retry_after_ms=1500 retry_after=2]]`;
    for (let i = 0; i < 2; i++) {
      const res = await post(ask(marker));
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after-ms")).toBe("1500");
      expect(res.headers.get("retry-after")).toBe("2");
      const body = await res.json();
      expect(body.error.code).toBe("429");
      expect(schemaErrors("errorResponse", body)).toEqual([]);
    }
    const ok = await post(ask(marker));
    expect(ok.status).toBe(200);
    expect(contentOf(sseChunks(await ok.text()).chunks)).toBe("echo: ");
  });

  it.each([500, 503])("answers %i with Azure's error body", async (status) => {
    const res = await post(ask(`[[fake:error status=${status}]]`));
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(schemaErrors("errorResponse", body)).toEqual([]);
    expect(body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it("401 without api-key, and for the auth marker", async () => {
    for (const res of [await post(ask("x"), { headers: { "api-key": "" } }), await post(ask("[[fake:auth]]"))]) {
      expect(res.status).toBe(401);
      expect(await res.text()).toBe(JSON.stringify({ error: { code: "401", message: AUTH_MESSAGE } }));
    }
  });

  it("404s: unknown path, missing api-version, DeploymentNotFound", async () => {
    const a = await post(ask("x"), { url: `${fake.url}openai/other` });
    const b = await post(ask("x"), { url: chatUrl("gpt-4.1", "") });
    for (const r of [a, b]) expect([r.status, (await r.json()).error.code]).toEqual([404, "404"]);
    const c = await post(ask("[[fake:not_found]]"));
    expect(c.status).toBe(404);
    const body = await c.json();
    expect(body.error.code).toBe("DeploymentNotFound");
    expect(schemaErrors("errorResponse", body)).toEqual([]);
  });

  it("prompt_filter: 400 content_filter with innererror as Azure sends it", async () => {
    const res = await post(ask("[[fake:prompt_filter]]"));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: "content_filter", status: 400, param: "prompt", type: null, message: PROMPT_FILTER_MESSAGE });
    // Azure sends `type: null` and `innererror.content_filter_result`; the OpenAPI file says string / `inner_error.content_filter_results`.
    expect(schemaErrors("errorResponse", noNulls(body))).toEqual([]);
    const inner = body.error.innererror;
    expect(schemaErrors("innerError", { code: inner.code, content_filter_results: inner.content_filter_result })).toEqual([]);
    expect(inner.content_filter_result.violence).toEqual({ filtered: true, severity: "medium" });
  });

  it("answer_filter: text, finish_reason content_filter with the filtered category, usage, [DONE]", async () => {
    const { chunks, done } = sseChunks(await (await post(ask("[[fake:answer_filter]]"))).text());
    expect(done).toBe(true);
    const fin = chunks[chunks.length - 2].choices[0];
    expect(fin.finish_reason).toBe("content_filter");
    expect(fin.content_filter_results.violence).toEqual({ filtered: true, severity: "medium" });
    expect(schemaErrors("contentFilterChoiceResults", fin.content_filter_results)).toEqual([]);
    expect(chunks[chunks.length - 1].usage).toBeTruthy();
    expect(contentOf(chunks).length).toBeGreaterThan(0);
  });

  it("break ends cleanly without finish or [DONE]; break_socket kills the connection", async () => {
    const { chunks, done } = sseChunks(await (await post(ask("[[fake:break]]"))).text());
    expect(done).toBe(false);
    expect(chunks.every((c) => !c.choices[0]?.finish_reason)).toBe(true);
    const res = await post(ask("[[fake:break_socket]]"));
    await expect(res.text()).rejects.toThrow();
  });
});

describe("hangs and client disconnects", () => {
  it("hang_start never sends headers; the record shows the client closing", async () => {
    const nonce = newNonce();
    await expect(post(ask(`[[fake:hang_start]] ${nonce}`), { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    const [rec] = await waitForFake(fake.url, nonce, (r) => r[0]?.closedByClientAt !== null);
    expect(rec.finished).toBe(false);
  });

  it("hang_mid stalls after a few chunks; an abort is recorded", async () => {
    const nonce = newNonce();
    const ctl = new AbortController();
    const res = await post(ask(`[[fake:hang_mid]] ${nonce}`), { signal: ctl.signal });
    const reader = res.body!.getReader();
    let got = "";
    while (!got.includes("Waiting")) got += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    const [rec] = await waitForFake(fake.url, nonce, (r) => r[0]?.closedByClientAt !== null);
    expect(rec).toMatchObject({ finished: false, status: 200, scenario: "hang_mid" });
    expect(rec.closedByClientAt!).toBeGreaterThanOrEqual(rec.receivedAt);
  });
});

describe("a client that does not read", () => {
  it("blocks the fake's write: the record says since when (blockedMs) and how much the connection took (sentBytes); reading lets it finish", async () => {
    const nonce = newNonce();
    const raw = `data: ${JSON.stringify({ pad: "x".repeat(1 << 20) })}\n\n`.repeat(12);
    await scriptFake(fake.url, nonce, [{ raw, split: 65536, pause: 0 }]);
    const res = await post(ask(`nobody reads ${nonce}`));
    const [blocked] = await waitForFake(fake.url, nonce, (r) => r[0]?.blockedMs >= 200, 20_000);
    expect(blocked.finished).toBe(false);
    expect(blocked.sentBytes).toBeGreaterThan(0);
    expect(blocked.sentBytes).toBeLessThan(raw.length);
    expect((await res.text()).length).toBe(raw.length);
    const [done] = await waitForFake(fake.url, nonce, (r) => r[0]?.finished);
    expect(done).toMatchObject({ sentBytes: raw.length, blockedMs: 0 });
  });
});

describe("scripting and recording", () => {
  it("queues responses per nonce: tool calls (parallel, malformed args), text, error, raw, then echo", async () => {
    const nonce = newNonce();
    const queued = await scriptFake(fake.url, nonce, [
      { toolCalls: [{ name: "search_models", arguments: '{"query": "qwen", "limit": 5}', id: "call_1" }, { name: "broken", arguments: '{"oops": ' }] },
      { text: "final answer 完成" },
      { status: 503 },
      { raw: 'data: {"not":"azure"}\n\n' },
    ]);
    expect(queued).toBe(4);
    const r1 = sseChunks(await (await post(ask(`q ${nonce}`))).text());
    const deltas = r1.chunks.filter((c) => c.choices.length > 0).map((c) => c.choices[0]);
    expect(deltas[0].delta).toEqual({ content: null, refusal: null, role: "assistant", tool_calls: [{ function: { arguments: "", name: "search_models" }, id: "call_1", index: 0, type: "function" }] });
    const frags = deltas.filter((d) => d.delta.tool_calls && !d.delta.tool_calls[0].id);
    for (const f of frags) expect(Object.keys(f.delta.tool_calls[0]).sort()).toEqual(["function", "index"]);
    const args = (i: number) => frags.filter((f) => f.delta.tool_calls[0].index === i).map((f) => f.delta.tool_calls[0].function.arguments).join("");
    expect([args(0), args(1)]).toEqual(['{"query": "qwen", "limit": 5}', '{"oops": ']);
    const second = deltas.find((d) => d.delta.tool_calls?.[0].index === 1 && d.delta.tool_calls[0].id);
    expect(second.delta.tool_calls[0]).toMatchObject({ type: "function", function: { name: "broken", arguments: "" }, id: expect.stringMatching(/^call_/) });
    expect(deltas.find((d) => d.finish_reason)).toMatchObject({ finish_reason: "tool_calls", delta: {} });
    expect(contentOf(sseChunks(await (await post(ask(`q ${nonce}`))).text()).chunks)).toBe("final answer 完成");
    expect((await post(ask(`q ${nonce}`))).status).toBe(503);
    expect(await (await post(ask(`q ${nonce}`))).text()).toBe('data: {"not":"azure"}\n\n');
    expect(contentOf(sseChunks(await (await post(ask(`q ${nonce}`))).text()).chunks)).toBe(`echo: q ${nonce}`);
  });

  it("a scripted scenario reuses the markers", async () => {
    const nonce = newNonce();
    await scriptFake(fake.url, nonce, [{ scenario: "unicode", split: 64 }]);
    expect(contentOf(sseChunks(await (await post(ask(nonce))).text()).chunks)).toBe(UNICODE_TEXT);
  });

  it("the tools marker calls the offered tool, then answers from the tool result", async () => {
    const tools = [{ type: "function", function: { name: "mcp_search_models", parameters: { type: "object" } } }];
    const call = sseChunks(await (await post(ask("[[fake:tools args=%7B%22q%22%3A1%7D]]", { tools }))).text()).chunks;
    expect(call[1].choices[0].delta.tool_calls[0].function.name).toBe("mcp_search_models");
    const after = ask("[[fake:tools]]", { tools });
    after.messages.push({ role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "mcp_search_models", arguments: "{}" } }] } as never, { role: "tool", tool_call_id: "c1", content: "qwen-7b\nqwen-14b" } as never);
    expect(contentOf(sseChunks(await (await post(after)).text()).chunks)).toBe("tool result: qwen-7b\nqwen-14b");
  });

  it("records requests byte for byte with headers, query and completion state", async () => {
    const nonce = newNonce();
    const raw = `{"messages":[{"role":"user","content":"记录 ${nonce} 🌍\\u00e9  "}],   "stream":true}`;
    await (await post(raw, { headers: { "api-key": "dummy-key-123", "x-extra": "1" } })).text();
    const recs = await fakeRequests(fake.url, nonce);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({
      method: "POST", path: "/openai/deployments/gpt-4.1/chat/completions", query: { "api-version": "2024-10-21" },
      body: raw, finished: true, closedByClientAt: null, status: 200, scenario: "echo", api: "deployments",
    });
    expect(recs[0].headers["api-key"]).toBe("dummy-key-123");
    expect(recs[0].headers["x-extra"]).toBe("1");
    const health = await fetch(`${fake.url}__fake/health`);
    expect(await health.json()).toMatchObject({ status: "ok" });
  });
});

describe("Azure's v1 API and a Cloudflare AI Gateway's paths", () => {
  const sdkText = async (client: OpenAI, model: string, text: string) => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: text }], stream: true });
    let out = "";
    for await (const chunk of stream) out += chunk.choices[0]?.delta?.content ?? "";
    return out;
  };

  it("serves /openai/v1/chat/completions to the plain OpenAI client: no api-version, the deployment as model", async () => {
    const nonce = newNonce("v1");
    const client = new OpenAI({ baseURL: `${fake.url}openai/v1`, apiKey: "k", defaultHeaders: { "api-key": "v1-key", Authorization: null }, maxRetries: 0 });
    expect(await sdkText(client, "my-gpt41", `v1 ${nonce}`)).toBe(`echo: v1 ${nonce}`);
    const [rec] = await fakeRequests(fake.url, nonce);
    expect(rec).toMatchObject({ api: "v1", path: "/openai/v1/chat/completions", query: {}, status: 200 });
    expect(rec.headers["api-key"]).toBe("v1-key");
    expect(JSON.parse(rec.body).model).toBe("my-gpt41");
  });

  it("v1 refuses a request without model (400) or without api-key (401)", async () => {
    const url = `${fake.url}openai/v1/chat/completions`;
    const noModel = await post(ask("x"), { url });
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { param: string } }).error.param).toBe("model");
    const noKey = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...ask("x"), model: "m" }) });
    expect(noKey.status).toBe(401);
  });

  it("serves a gateway's …/azure-openai/{resource}/{deployment}/chat/completions?api-version=…, and 404s it without api-version", async () => {
    const nonce = newNonce("gw");
    const base = `${fake.url}v1/acct/gw/azure-openai/myres/my-gpt41`;
    const client = new OpenAI({ baseURL: base, apiKey: "k", defaultQuery: { "api-version": "2024-10-21" }, defaultHeaders: { "api-key": "gw-key", Authorization: null }, maxRetries: 0 });
    expect(await sdkText(client, "my-gpt41", `gw ${nonce}`)).toBe(`echo: gw ${nonce}`);
    const [rec] = await fakeRequests(fake.url, nonce);
    expect(rec).toMatchObject({ api: "ai-gateway", path: "/v1/acct/gw/azure-openai/myres/my-gpt41/chat/completions", query: { "api-version": "2024-10-21" } });
    expect(rec.headers["api-key"]).toBe("gw-key");
    expect(rec.headers.authorization).toBeUndefined();
    expect((await post(ask("x"), { url: `${base}/chat/completions` })).status).toBe(404);
  });
});

describe("an OpenAI-compatible endpoint's path (UPSTREAM=openai)", () => {
  it("serves /v1/chat/completions to the OpenAI SDK with Bearer auth, the same scenarios, and records api openai", async () => {
    const nonce = newNonce("openai");
    const client = new OpenAI({ baseURL: `${fake.url}v1`, apiKey: "sk-fake-openai", maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "gpt-4.1-mini", messages: [{ role: "user", content: `[[fake:chunks n=3]] ${nonce}` }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      usage ??= chunk.usage ?? undefined;
    }
    expect(text).toBe("w0 w1 w2 ");
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    const [rec] = await fakeRequests(fake.url, nonce);
    expect(rec).toMatchObject({ api: "openai", path: "/v1/chat/completions", query: {}, status: 200, scenario: "chunks" });
    expect(rec.headers.authorization).toBe("Bearer sk-fake-openai");
  });

  it("serves AI Gateway's compat path too: /v1/{account}/{gateway}/compat/chat/completions", async () => {
    const nonce = newNonce("compat");
    const client = new OpenAI({ baseURL: `${fake.url}v1/acct/gw/compat`, apiKey: "sk-fake-openai", maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: "openai/gpt-4.1-mini", messages: [{ role: "user", content: `compat ${nonce}` }] });
    expect(answer.choices[0].message.content).toBe(`echo: compat ${nonce}`);
    const [rec] = await fakeRequests(fake.url, nonce);
    expect(rec).toMatchObject({ api: "openai", path: "/v1/acct/gw/compat/chat/completions" });
  });

  it("refuses a request without a Bearer key (401, OpenAI's body; an api-key header does not do) or without model (400)", async () => {
    const url = `${fake.url}v1/chat/completions`;
    const noKey = await post({ ...ask("x"), model: "m" }, { url });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { message: string } }).error.message).toMatch(/Bearer auth/);
    const noModel = await post(ask("x"), { url, headers: { authorization: "Bearer k" } });
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { param: string } }).error.param).toBe("model");
  });
});
