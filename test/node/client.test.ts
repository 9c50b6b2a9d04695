/**
 * The typed client against the real service (`wrangler dev`, the fake Azure, the ModelScope mock
 * MCP server): every event and envelope it hands out is checked against the published schema.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startMockMcpServer, type MockMcpServer } from "../../tools/mock-mcp-server";
import { ChatApiError, chat, health, streamChat, toDataUrl, type ChatEvent, type ChatRequest, type StreamOptions, type UserContent } from "../../client/src";
import { assertValid } from "../support/event-schema";
import { newNonce, scriptFake, waitForFake } from "../../tools/fake-azure-client";
import { tinyPng } from "../../tools/png";
import { ROOT, startWorker, type RunningWorker } from "../../tools/worker";

const API_KEY = "client-test-key-61b0";
let dev: RunningWorker;
let mcp: MockMcpServer;
const fake = () => inject("fakeAzureUrl");

beforeAll(async () => {
  mcp = await startMockMcpServer({ port: 0 });
  dev = await startWorker({
    vars: {
      AZURE_OPENAI_ENDPOINT: fake(),
      AZURE_OPENAI_API_KEY: "client-azure-key",
      MCP_SERVER_URL: mcp.url,
      API_KEYS: API_KEY,
      ALLOW_ANONYMOUS: "true",
      UPSTREAM_TIMEOUT_MS: "5000",
      UPSTREAM_MAX_RETRIES: "0",
    },
  });
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  await mcp?.close();
});

const ask = (text: UserContent): ChatRequest => ({ user_id: "client_test", query: [{ role: "user", content: text }] });
const opts = (extra: Partial<StreamOptions> = {}): StreamOptions => ({ baseUrl: dev.url, ...extra });

/** All events of a stream, each checked against the schema, with arrival times. */
async function run(request: ChatRequest, options: StreamOptions = opts()) {
  const events: ChatEvent[] = [];
  const times: number[] = [];
  for await (const event of streamChat(request, options)) {
    assertValid("ChatEvent", event);
    events.push(event);
    times.push(performance.now());
  }
  const end = events.at(-1)!;
  if (end.type !== "done" && end.type !== "error") throw new Error(`no terminal event: ${end.type}`);
  return { events, times, end };
}

const answerOf = (events: ChatEvent[]) => events.map((e) => (e.type === "delta" ? e.text : "")).join("");

describe("streamChat against the service", () => {
  it("streams NDJSON as it arrives: steps first, deltas spread out, one done", async () => {
    const { events, times, end } = await run(ask("[[fake:chunks n=20 delay=40]]"));
    expect(events[0].type).toBe("step");
    expect(end).toMatchObject({ type: "done", code: 200 });
    expect(answerOf(events)).toBe(end.data.answer);
    const deltaTimes = times.filter((_, i) => events[i].type === "delta");
    expect(deltaTimes).toHaveLength(20);
    expect(deltaTimes.at(-1)! - deltaTimes[0]).toBeGreaterThan(500);
  });

  it("streams SSE with the same events", async () => {
    const { events, end } = await run(ask("hello sse"), opts({ format: "sse" }));
    expect(end).toMatchObject({ type: "done", data: { answer: "echo: hello sse" } });
    expect(answerOf(events)).toBe("echo: hello sse");
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(["step", "delta", "done"]));
  });

  it("sends images and the language, and uses the key", async () => {
    const image = toDataUrl(tinyPng(4, 4), "image/png");
    const { end } = await run(ask([{ type: "input_text", text: "图" }, { type: "input_image", image_url: image }]), opts({ lang: "en", apiKey: API_KEY }));
    const parser = end.data.steps.find((s) => s.tool_type === "InputParser")!;
    expect(JSON.parse(parser.parameters)).toEqual({ query_items: 1, images: 1 });
    expect(parser.present_content).toBe("Parsing input: 1 message, 1 image");
  });

  it("shows MCP tool calls as steps (the fake model calls the mock's search_models)", async () => {
    const nonce = newNonce();
    await scriptFake(fake(), nonce, [{ toolCalls: [{ name: "search_models", arguments: '{"query":"qwen","limit":2}' }] }, { text: "Found some." }]);
    const { events, end } = await run(ask(`find a model ${nonce}`));
    expect(end).toMatchObject({ type: "done", data: { answer: "Found some." } });
    const call = end.data.steps.find((s) => s.tool_type === "MCP" && s.parameters.includes("search_models"))!;
    expect(call).toMatchObject({ tool_status: "Success" });
    expect(call.observation).toContain("Qwen/");
    expect(events.filter((e) => e.type === "step" && e.step.message_id === call.message_id).map((e) => e.type === "step" && e.step.tool_status)).toEqual(["Start", "Success"]);
  });

  it("yields the error event of a stream that breaks after it started", async () => {
    const { events, end } = await run(ask("[[fake:break]]"));
    expect(end).toMatchObject({ type: "error", code: 502 });
    expect(end.data.answer).toBe(answerOf(events));
  });

  it("throws a ChatApiError for an error before the stream (status, code, message, request id); an upstream failure ends the stream with its error event", async () => {
    const invalid = await run({ user_id: "", query: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ChatApiError);
    expect(invalid).toMatchObject({ status: 400, code: 400, requestId: expect.stringMatching(/^req_/), data: { steps: [] } });
    expect((invalid as ChatApiError).message).toMatch(/^user_id: /);

    // An upstream failure comes after the stream started: its error event, not a throw.
    const upstream = await run(ask("[[fake:auth]]"));
    const end = upstream.events.at(-1)!;
    expect(end).toMatchObject({ type: "error", code: 502 });
    assertValid("ChatEvent", end);

    const denied = (await run(ask("hi"), opts({ apiKey: "wrong" })).catch((e: unknown) => e)) as ChatApiError;
    expect(denied).toMatchObject({ status: 401, code: 401, message: "Invalid API key" });
  });

  it("aborts with the signal, and the service cancels the upstream request", async () => {
    const nonce = newNonce();
    const abort = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of streamChat(ask(`[[fake:chunks n=300 delay=20]] ${nonce}`), opts({ signal: abort.signal }))) {
        seen.push(event.type);
        if (event.type === "delta") abort.abort();
      }
    })().catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(seen.at(-1)).toBe("delta");
    const [record] = await waitForFake(fake(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null, 5000);
    expect(record.finished).toBe(false);
  });
});

describe("chat (JSON) and health", () => {
  it("returns the envelope, valid per the schema", async () => {
    const envelope = await chat(ask("json please"), opts());
    assertValid("Envelope", envelope);
    expect(envelope).toMatchObject({ code: 200, data: { answer: "echo: json please" } });
  });

  it("throws a ChatApiError with the envelope's data on failure", async () => {
    const error = (await chat(ask("[[fake:prompt_filter]]"), opts()).catch((e: unknown) => e)) as ChatApiError;
    expect(error).toMatchObject({ name: "ChatApiError", status: 400, code: 400 });
    expect(error.message).toMatch(/filter/i);
  });

  it("reads /health", async () => {
    expect(await health({ baseUrl: dev.url })).toMatchObject({ status: "healthy" });
  });
});

describe("the built package in plain Node", () => {
  it("`import … from \"chatapi/client\"` runs in node without tsx and chats with the service", async () => {
    // The package entry (package.json exports → client/dist, built by `prepare`), as an
    // application would import it: plain node, no TypeScript loader.
    const program = `
      import { streamChat, chat, ChatApiError } from "chatapi/client";
      const baseUrl = process.argv[1];
      const types = [];
      let answer = "";
      for await (const e of streamChat({ user_id: "plain_node", query: [{ role: "user", content: "from plain node" }] }, { baseUrl, lang: "en" })) {
        types.push(e.type);
        if (e.type === "delta") answer += e.text;
      }
      const json = await chat({ user_id: "plain_node", query: [{ role: "user", content: "json" }] }, { baseUrl });
      const denied = await chat({ user_id: "plain_node", query: [{ role: "user", content: "x" }] }, { baseUrl, apiKey: "wrong" }).catch((e) => e);
      console.log(JSON.stringify({ types: [...new Set(types)], last: types.at(-1), answer, json: json.data.answer, denied: denied instanceof ChatApiError && denied.status }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", program, dev.url], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" }, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ types: ["step", "delta", "done"], last: "done", answer: "echo: from plain node", json: "echo: json", denied: 401 });
  });
});
