/**
 * One round logic, two upstreams: Azure OpenAI (the default) and an OpenAI-compatible endpoint
 * (`UPSTREAM=openai`: `{OPENAI_BASE_URL}/chat/completions`, `Authorization: Bearer`, OPENAI_MODEL as
 * `model`). The same stream, tool, retry and hardening checks run against each, over HTTP to the
 * fake, which serves both wires with the same scenarios and stream quirks; then what only the
 * OpenAI-compatible settings have (the key left out for a local server, AI Gateway's compat path,
 * the 503s that name what to set).
 */
import { describe, expect, inject, it } from "vitest";
import { fakeRequests, newNonce, scriptFake, waitForFake, type RecordedRequest } from "../../tools/fakes/fake-azure-client";
import type { ChatEvent, Step } from "../../src/schema/events";
import { deltas, envelopeOf, fakeUrl, ndjson, post, settled, terminal, userText } from "./helpers";
import { allLogs } from "./leak-registry";

const AZURE_KEY = "test-azure-key-7f3a9c";
const OPENAI_KEY = "test-openai-key-2b8d41c7";

interface Upstream {
  name: string;
  env: () => Partial<Env>;
  /** How messages name it, and the settings they point at. */
  says: string;
  endpoint: string;
  key: string;
  stepType: "AzureOpenAI" | "OpenAI";
  model: string;
  /** The 502 for an upstream 404: which settings to check. */
  notFound: RegExp;
  /** The path, headers and body `model` of a request as it should arrive. */
  expectRequest(record: RecordedRequest): void;
}

const UPSTREAMS: Upstream[] = [
  {
    name: "Azure OpenAI",
    env: () => ({}),
    says: "Azure OpenAI",
    endpoint: "AZURE_OPENAI_ENDPOINT",
    key: "AZURE_OPENAI_API_KEY",
    stepType: "AzureOpenAI",
    model: "gpt-4.1",
    notFound: /^Azure OpenAI found no such deployment \(HTTP 404\): check AZURE_OPENAI_DEPLOYMENT_NAME, AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_VERSION$/,
    expectRequest(record) {
      expect(record).toMatchObject({ api: "deployments", path: "/openai/deployments/gpt-4.1/chat/completions" });
      expect(record.headers["api-key"]).toBe(AZURE_KEY);
      expect(record.headers.authorization).toBeUndefined();
    },
  },
  {
    name: "an OpenAI-compatible endpoint (UPSTREAM=openai)",
    env: () => ({ UPSTREAM: "openai", OPENAI_BASE_URL: `${fakeUrl()}v1`, OPENAI_API_KEY: OPENAI_KEY, OPENAI_MODEL: "gpt-4.1-mini" }),
    says: "The OpenAI-compatible upstream",
    endpoint: "OPENAI_BASE_URL",
    key: "OPENAI_API_KEY",
    stepType: "OpenAI",
    model: "gpt-4.1-mini",
    notFound: /^The OpenAI-compatible upstream found no such model or path \(HTTP 404\): check OPENAI_MODEL and OPENAI_BASE_URL/,
    expectRequest(record) {
      expect(record).toMatchObject({ api: "openai", path: "/v1/chat/completions", query: {} });
      expect(record.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(record.headers["api-key"]).toBeUndefined();
      expect(JSON.parse(record.body).model).toBe("gpt-4.1-mini");
    },
  },
];

const finalSteps = (events: ChatEvent[]): Step[] => terminal(events).data.steps;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.each(UPSTREAMS)("through $name", (upstream) => {
  const chat = (text: string, env: Partial<Env> = {}, accept?: string) => post(userText(text), { env: { ...upstream.env(), ...env }, accept });

  it("streams the answer; the model step has its tool_type, names the model, and the usage is counted", async () => {
    const nonce = newNonce("both");
    const events = await ndjson(await post(userText(`[[fake:chunks n=5]] ${nonce}`), { env: upstream.env(), lang: "en" }));
    const end = terminal(events);
    expect(end).toMatchObject({ type: "done", code: 200, data: { answer: "w0 w1 w2 w3 w4 " } });
    expect(deltas(events)).toBe("w0 w1 w2 w3 w4 ");
    expect(end.data.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    const model = finalSteps(events).filter((s) => s.tool_type === upstream.stepType);
    expect(model).toHaveLength(1);
    expect(model[0].present_content).toContain(upstream.model);
    expect(JSON.parse(model[0].parameters)).toMatchObject({ round: 1, messages: 1 });
    expect(model[0].parameters).toContain(upstream.model);
    const [record] = await waitForFake(fakeUrl(), nonce, (r) => r.length === 1 && r[0].finished, 15_000);
    upstream.expectRequest(record);
    expect(JSON.parse(record.body)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("runs a full tool round: the call goes to the MCP server, its result back to the model with its id", async () => {
    const nonce = newNonce("tools");
    await scriptFake(fakeUrl(), nonce, [
      { toolCalls: [{ id: "call_both_1", name: "echo", arguments: '{"message":"工具 round"}' }] },
      { text: "The tool answered." },
    ]);
    const events = await ndjson(await post(userText(`use the tools ${nonce}`), { env: { ...upstream.env(), MCP_SERVER_URL: inject("everythingMcpUrl") } }));
    const end = terminal(events);
    expect(end).toMatchObject({ type: "done", code: 200, data: { answer: "The tool answered." } });
    expect(end.data.steps.map((s) => [s.tool_type, s.tool_status])).toEqual([
      ["System", "Success"],
      ["InputParser", "Success"],
      ["MCP", "Success"],
      [upstream.stepType, "Success"],
      ["MCP", "Success"],
      [upstream.stepType, "Success"],
    ]);
    const records = await fakeRequests(fakeUrl(), nonce);
    expect(records).toHaveLength(2);
    for (const record of records) upstream.expectRequest(record);
    const [assistant, tool] = JSON.parse(records[1].body).messages.slice(-2);
    expect(assistant).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_both_1", function: { name: "echo" } }] });
    expect(tool).toMatchObject({ role: "tool", tool_call_id: "call_both_1" });
    expect(tool.content).toContain("工具 round");
  });

  it("retries a 429, honouring retry-after-ms, then answers", async () => {
    const nonce = newNonce("retry");
    const started = Date.now();
    const events = await ndjson(await chat(`[[fake:error status=429 fail=1 retry_after_ms=300 nonce=${nonce}]] ${nonce}`));
    expect(terminal(events)).toMatchObject({ type: "done", code: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const records = await fakeRequests(fakeUrl(), nonce);
    expect(records.map((r) => r.status)).toEqual([429, 200]);
    for (const record of records) upstream.expectRequest(record);
  });

  it("passes a 429 that outlasts the retries on: JSON with Retry-After, a stream with data.retry_after_ms", async () => {
    const nonce = newNonce("retry429");
    const res = await chat(`[[fake:error status=429 retry_after_ms=30 nonce=${nonce}]] ${nonce}`, {}, "application/json");
    const body = await envelopeOf(res, 429, new RegExp(`^${escape(upstream.says)} is rate limiting this service`));
    expect(res.headers.get("retry-after")).toBe("1");
    expect(body.data.steps.some((s) => s.tool_type === upstream.stepType && s.tool_status === "Error")).toBe(true);
    const streamNonce = newNonce("retry429s");
    const end = terminal(await ndjson(await chat(`[[fake:error status=429 retry_after_ms=30 nonce=${streamNonce}]] ${streamNonce}`)));
    expect(end).toMatchObject({ type: "error", code: 429, data: { retry_after_ms: 1000 } });
  });

  it("refuses a redirect with a 502 naming the endpoint's setting; the key and the prompt are not sent again", async () => {
    const nonce = newNonce("redirect");
    const elsewhere = new URL("v1/chat/completions", fakeUrl().replace("127.0.0.1", "localhost"));
    await scriptFake(fakeUrl(), nonce, [{ raw: "", status: 307, headers: { location: elsewhere.href } }, { text: "followed" }]);
    const res = await chat(`redirect me ${nonce}`, {}, "application/json");
    const body = await envelopeOf(res, 502);
    expect(body.message).toMatch(new RegExp(`redirect.*check ${upstream.endpoint}`, "i"));
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(1);
  });

  it("ends the stream with a 502 when one event is larger than 1 MiB", async () => {
    const end = terminal(await ndjson(await chat(`[[fake:huge_chunk bytes=${2 * 1024 * 1024}]]`)));
    expect(end).toMatchObject({ type: "error", code: 502 });
    expect(end.message).toBe(`${upstream.says} sent an event larger than 1 MiB`);
  });

  it("ends a stream of keep-alive comments alone with a 504 after UPSTREAM_TIMEOUT_MS, and closes the upstream request", async () => {
    const nonce = newNonce("idle");
    const events = await ndjson(await chat(`[[fake:comments_only every=150]] ${nonce}`, { UPSTREAM_TIMEOUT_MS: "700" }));
    const end = terminal(events);
    expect(end).toMatchObject({ type: "error", code: 504 });
    expect(end.message).toBe(`${upstream.says} sent no data for 700 ms (UPSTREAM_TIMEOUT_MS)`);
    expect(end.data.answer).toBe(deltas(events));
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null);
  });

  it("ends a stream cut without a finish reason with a 502, never done", async () => {
    const end = terminal(await ndjson(await chat("[[fake:break]]")));
    expect(end).toMatchObject({ type: "error", code: 502 });
    expect(end.message).toMatch(/without a finish reason/);
  });

  it("answers 502 naming the endpoint's setting when a 200 is not an event stream", async () => {
    const nonce = newNonce("html");
    await scriptFake(fakeUrl(), nonce, [{ raw: "<html>nginx</html>", headers: { "content-type": "text/html" } }]);
    const res = await chat(`not a stream ${nonce}`, {}, "application/json");
    await envelopeOf(res, 502, new RegExp(`^${escape(upstream.says)} answered with text/html, not an event stream: check ${upstream.endpoint}$`));
  });

  it("reports refused credentials as a 502 naming the key's setting", async () => {
    const res = await chat("[[fake:auth]]", {}, "application/json");
    await envelopeOf(res, 502, new RegExp(`^${escape(upstream.says)} refused our credentials \\(HTTP 401\\): check ${upstream.key} and ${upstream.endpoint}$`));
  });

  it("reports an upstream 404 as a 502 naming the settings to check", async () => {
    await envelopeOf(await chat("[[fake:not_found]]", {}, "application/json"), 502, upstream.notFound);
  });

  it("keeps the key out of the response and the log when the upstream's 400 repeats it", async () => {
    const key = upstream.stepType === "OpenAI" ? OPENAI_KEY : AZURE_KEY;
    const nonce = newNonce("echokey");
    const message = `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys (${encodeURIComponent(key)}).`;
    await scriptFake(fakeUrl(), nonce, [{ status: 400, body: { error: { message, type: "invalid_request_error", param: null, code: null } } }]);
    const res = await chat(`echo my key ${nonce}`, {}, "application/json");
    const body = await envelopeOf(res, 400, new RegExp(`^${escape(upstream.says)} rejected the request: Incorrect API key provided: \\[redacted\\]`));
    expect(JSON.stringify(body)).not.toContain(key);
    await settled(res);
    expect(allLogs().some((l) => l.includes(body.requestId))).toBe(true);
    expect(allLogs().filter((l) => l.includes(key))).toEqual([]);
  });
});

describe("UPSTREAM=openai settings", () => {
  const base = () => ({ UPSTREAM: "openai", OPENAI_BASE_URL: `${fakeUrl()}v1`, OPENAI_MODEL: "llama3.2" });

  it("sends no Authorization header when OPENAI_API_KEY is empty (a local server such as Ollama)", async () => {
    const nonce = newNonce("nokey");
    await scriptFake(fakeUrl(), nonce, [{ text: "local answer" }]);
    // The fake, like OpenAI itself, answers 401 without a key: what reaches it is what matters here.
    await post(userText(`no key ${nonce}`), { env: base(), accept: "application/json" });
    const [record] = await fakeRequests(fakeUrl(), nonce);
    expect(record).toMatchObject({ api: "openai", path: "/v1/chat/completions" });
    expect(record.headers.authorization).toBeUndefined();
    expect(JSON.parse(record.body).model).toBe("llama3.2");
  });

  it("reaches Cloudflare AI Gateway's OpenAI-compatible endpoint: {OPENAI_BASE_URL}/chat/completions, the provider's model", async () => {
    const nonce = newNonce("compat");
    const env = { ...base(), OPENAI_BASE_URL: `${fakeUrl()}v1/acct123/my-gateway/compat/`, OPENAI_API_KEY: OPENAI_KEY, OPENAI_MODEL: "anthropic/claude-sonnet-4" };
    const events = await ndjson(await post(userText(`[[fake:chunks n=3]] ${nonce}`), { env }));
    expect(terminal(events)).toMatchObject({ type: "done", data: { answer: "w0 w1 w2 " } });
    const [record] = await fakeRequests(fakeUrl(), nonce);
    expect(record).toMatchObject({ api: "openai", path: "/v1/acct123/my-gateway/compat/chat/completions" });
    expect(record.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(JSON.parse(record.body).model).toBe("anthropic/claude-sonnet-4");
  });

  it.each([
    ["no OPENAI_MODEL", { OPENAI_MODEL: "" }, /set OPENAI_MODEL/],
    ["OpenAI's own URL without OPENAI_API_KEY", { OPENAI_BASE_URL: "" }, /set the secret OPENAI_API_KEY/],
    ["an OPENAI_BASE_URL that is no http(s) URL", { OPENAI_BASE_URL: "ftp://example.com/v1" }, /OPENAI_BASE_URL must be an http\(s\) URL/],
    ["an UPSTREAM it does not know", { UPSTREAM: "ollama" }, /UPSTREAM must be azure or openai/],
  ])("answers 503 with %s, naming what to set; nothing is sent upstream", async (_what, env, message) => {
    const nonce = newNonce("cfg");
    const res = await post(userText(`hi ${nonce}`), { env: { ...base(), ...env } });
    await envelopeOf(res, 503, message);
    expect(await fakeRequests(fakeUrl(), nonce)).toEqual([]);
  });
});
