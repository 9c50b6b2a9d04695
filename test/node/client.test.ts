/**
 * The typed client against the real service (the Worker's deployable bundle in workerd, the fake Azure, the ModelScope mock
 * MCP server): every event and envelope it hands out is checked against the published schema.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startMockMcpServer, type MockMcpServer } from "../../tools/fakes/mock-mcp-server";
import {
  ChatApiError, chat, deleteChat, getFile, getImage, getMessages, health, listChats, resumeChat, stopChat, streamChat, toDataUrl,
  type ChatEvent, type ChatRequest, type FetchLike, type ReconnectInfo, type ResumeOptions, type StreamOptions, type UserContent,
} from "../../client/src";
import { startCutProxy, type CutProxy } from "../../tools/fakes/cut-proxy";
import { assertValid } from "../support/event-schema";
import { fakeRequests, newNonce, scriptFake, waitForFake } from "../../tools/fakes/fake-azure-client";
import { PNG_1X1_BASE64, tinyPng } from "../../tools/png";
import { ROOT, startWorker, type RunningWorker } from "../../tools/run/worker";

const API_KEY = "client-test-key-61b0";
let dev: RunningWorker;
let mcp: MockMcpServer;
/** Between the client and the Worker in the reconnection tests: severs their connections on cue. */
let proxy: CutProxy;
const fake = () => inject("fakeAzureUrl");

beforeAll(async () => {
  mcp = await startMockMcpServer({ port: 0 });
  dev = await startWorker({
    bundle: inject("workerBundle"), 
    vars: {
      AZURE_OPENAI_ENDPOINT: fake(),
      AZURE_OPENAI_API_KEY: "client-azure-key",
      MCP_SERVER_URL: mcp.url,
      API_KEYS: API_KEY,
      ALLOW_ANONYMOUS: "true",
      UPSTREAM_TIMEOUT_MS: "5000",
      UPSTREAM_MAX_RETRIES: "0",
      // Keep-alives while the paced answers below pause, so the client meets real ping lines.
      HEARTBEAT_MS: "300",
    },
  });
  proxy = await startCutProxy(dev.url);
}, 90_000);

afterAll(async () => {
  await proxy?.close();
  await dev?.stop();
  await mcp?.close();
});

const ask = (text: UserContent): ChatRequest => ({ user_id: "client_test", query: [{ role: "user", content: text }] });
const opts = (extra: Partial<ResumeOptions> = {}): ResumeOptions => ({ baseUrl: dev.url, ...extra });

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

const chatId = () => `client_${crypto.randomUUID().slice(0, 12)}`;
const seqsOf = (events: ChatEvent[]) => events.map((e) => e.seq);
const oneToN = (events: ChatEvent[]) => events.map((_, i) => i + 1);

/** A `fetch` that also keeps every byte of each response body as it went by (the wire, pings included). */
function wireTap(): { fetch: FetchLike; wire: string[] } {
  const wire: string[] = [];
  return {
    wire,
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      if (!res.body) return res;
      const index = wire.push("") - 1;
      const decoder = new TextDecoder();
      const tap = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          wire[index] += decoder.decode(chunk, { stream: true });
          controller.enqueue(chunk);
        },
      });
      return new Response(res.body.pipeThrough(tap), { status: res.status, headers: res.headers });
    },
  };
}

describe("resumable chats: reconnection over a real network cut, resumeChat, stopChat", () => {
  it.each(["ndjson", "sse"] as const)(
    "%s: a chat_id chat whose connection is severed mid-answer reconnects by itself: every event once, seq 1…N without a gap, the answer whole",
    async (format) => {
      const id = chatId();
      const nonce = newNonce();
      const told: ReconnectInfo[] = [];
      const events: ChatEvent[] = [];
      let severed = 0;
      const request = { ...ask(`[[fake:chunks n=40 delay=50]] ${nonce}`), chat_id: id };
      for await (const event of streamChat(request, { baseUrl: proxy.url, format, reconnect: { delayMs: 100, onReconnect: (i) => told.push(i) } })) {
        assertValid("ChatEvent", event);
        events.push(event);
        // The network drops under the client, twice: mid-answer, and again soon after it resumed.
        if (event.type === "delta" && (event.text === "w5 " || event.text === "w20 ")) severed += proxy.cut();
      }
      expect(severed).toBeGreaterThanOrEqual(2);
      expect(told.map((i) => i.attempt)).toEqual([1, 1]);
      // It resumed after the last event it had: w5's, or a later one that had already arrived with it
      // (on a busy machine several events come in one read); seq 1…N below says none was lost or repeated.
      const seqOf = (text: string) => events.find((e) => e.type === "delta" && e.text === text)!.seq;
      expect(told[0].after).toBeGreaterThanOrEqual(seqOf("w5 "));
      expect(told[0].after).toBeLessThan(seqOf("w20 "));
      expect(seqsOf(events)).toEqual(oneToN(events));
      const end = events.at(-1)!;
      expect(end).toMatchObject({ type: "done", code: 200 });
      expect(events.filter((e) => e.type === "done" || e.type === "error")).toHaveLength(1);
      expect(answerOf(events)).toBe(Array.from({ length: 40 }, (_, i) => `w${i} `).join(""));
      expect(answerOf(events)).toBe(end.type === "done" && end.data.answer);
      // The run went on inside the service while the client was away (the answer is whole, with
      // its usage): one upstream request, never started again by a reconnection.
      expect(end.type === "done" && end.data.usage?.completion_tokens).toBeGreaterThan(0);
      expect(await fakeRequests(fake(), nonce)).toMatchObject([{ status: 200 }]);
    },
  );

  it("without chat_id a severed connection throws the network error, and the service cancels the run", async () => {
    const nonce = newNonce();
    const seen: ChatEvent[] = [];
    const error = await (async () => {
      for await (const event of streamChat(ask(`[[fake:chunks n=100 delay=30]] ${nonce}`), { baseUrl: proxy.url })) {
        seen.push(event);
        if (event.type === "delta") proxy.cut();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("terminated");
    expect(seen.filter((e) => e.type === "delta").length).toBeGreaterThanOrEqual(1);
    const [record] = await waitForFake(fake(), nonce, (r) => r.length === 1 && r[0].closedByClientAt !== null, 5000);
    expect(record.finished).toBe(false);
  });

  it("gives up after `retries` failed reconnections while the network stays down; resumeChat after N later reads the rest", async () => {
    const id = chatId();
    const told: ReconnectInfo[] = [];
    const seen: ChatEvent[] = [];
    const error = await (async () => {
      for await (const event of streamChat({ ...ask("[[fake:chunks n=30 delay=40]]"), chat_id: id }, { baseUrl: proxy.url, reconnect: { retries: 2, delayMs: 50, onReconnect: (i) => told.push(i) } })) {
        seen.push(event);
        if (event.type === "delta" && event.text === "w3 ") {
          proxy.refuse(true);
          proxy.cut();
        }
      }
    })()
      .catch((e: unknown) => e)
      .finally(() => proxy.refuse(false));
    expect(error).toBeInstanceOf(TypeError);
    expect(told.map((i) => [i.attempt, i.delayMs])).toEqual([[1, 50], [2, 100]]);
    const last = seen.at(-1)!.seq;
    expect(told.every((i) => i.after === last)).toBe(true);

    const rest: ChatEvent[] = [];
    for await (const event of resumeChat(id, { baseUrl: proxy.url, after: last })) rest.push(event);
    const all = [...seen, ...rest];
    expect(rest[0].seq).toBe(last + 1);
    expect(seqsOf(all)).toEqual(oneToN(all));
    expect(rest.at(-1)).toMatchObject({ type: "done", data: { answer: answerOf(all) } });
  });

  it("skips the server's keep-alive pings: they are on the wire, never among the events", async () => {
    const tap = wireTap();
    const events: ChatEvent[] = [];
    for await (const event of streamChat({ ...ask("[[fake:chunks n=2 delay=400]]"), chat_id: chatId() }, opts({ fetch: tap.fetch }))) events.push(event);
    expect(tap.wire.join("")).toMatch(/^\{"type":"ping","requestId":"req_\w+","seq":\d+\}$/m);
    expect(events.map((e) => e.type as string)).not.toContain("ping");
    expect(seqsOf(events)).toEqual(oneToN(events));
    expect(events.at(-1)).toMatchObject({ type: "done", data: { answer: "w0 w1 " } });
  });

  it("resumeChat after the end replays the whole run, event for event; after=N gives the rest; both as NDJSON and SSE", async () => {
    const id = chatId();
    const live: ChatEvent[] = [];
    for await (const event of streamChat({ ...ask("[[fake:chunks n=8]]"), chat_id: id }, opts())) live.push(event);
    expect(live.at(-1)).toMatchObject({ type: "done" });
    for (const format of ["ndjson", "sse"] as const) {
      const replay: ChatEvent[] = [];
      for await (const event of resumeChat(id, opts({ format }))) {
        assertValid("ChatEvent", event);
        replay.push(event);
      }
      expect(replay).toEqual(live);
      const rest: ChatEvent[] = [];
      for await (const event of resumeChat(id, opts({ format, after: 5 }))) rest.push(event);
      expect(rest).toEqual(live.slice(5));
    }
  });

  it("resumeChat of a chat nobody started throws a ChatApiError with status 204; another key's chat a 404", async () => {
    const nobody = await resumeChat(chatId(), opts()).next().catch((e: unknown) => e);
    expect(nobody).toBeInstanceOf(ChatApiError);
    expect(nobody).toMatchObject({ status: 204, code: 204 });

    const id = chatId();
    for await (const _ of streamChat({ ...ask("mine"), chat_id: id }, opts({ apiKey: API_KEY })));
    const other = await resumeChat(id, opts()).next().catch((e: unknown) => e);
    expect(other).toMatchObject({ name: "ChatApiError", status: 404 });
    expect((await resumeChat(id, opts({ apiKey: API_KEY })).next()).value).toMatchObject({ type: "step", seq: 1 });
  });

  it("stopChat mid-answer: it returns the steps and answer so far, and every reader's stream ends with a 499 error event", async () => {
    const id = chatId();
    const nonce = newNonce();
    const poster: ChatEvent[] = [];
    const follower: ChatEvent[] = [];
    let stopped: Promise<unknown> | undefined;
    const posting = (async () => {
      for await (const event of streamChat({ ...ask(`[[fake:chunks n=300 delay=30]] ${nonce}`), chat_id: id }, opts())) {
        poster.push(event);
        if (event.type === "delta" && event.text === "w3 ") stopped ??= stopChat(id, opts());
      }
    })();
    await waitForFake(fake(), nonce, (r) => r.length === 1);
    const following = (async () => {
      for await (const event of resumeChat(id, opts({ format: "sse" }))) follower.push(event);
    })();
    await Promise.all([posting, following]);
    const envelope = await stopped;
    expect(envelope).toMatchObject({ code: 200, message: "Stopped", data: { answer: expect.stringMatching(/^w0 w1 w2 w3 /) } });
    assertValid("Envelope", envelope);
    for (const events of [poster, follower]) {
      const end = events.at(-1)!;
      expect(end).toMatchObject({ type: "error", code: 499 });
      expect(events.filter((e) => e.type === "done" || e.type === "error")).toHaveLength(1);
      expect(end.type === "error" && end.data.answer).toBe(answerOf(events));
      expect(answerOf(events)).not.toContain("w299");
    }
    expect(follower).toEqual(poster);
    const [record] = await waitForFake(fake(), nonce, (r) => r[0]?.closedByClientAt !== null, 5000);
    expect(record.finished).toBe(false);
    const again = await stopChat(id, opts()).catch((e: unknown) => e);
    expect(again).toMatchObject({ name: "ChatApiError", status: 404 });
  });

  it("a second streamChat with the same chat_id while the first runs is refused with a ChatApiError 409", async () => {
    const id = chatId();
    const first = streamChat({ ...ask("[[fake:chunks n=20 delay=50]]"), chat_id: id }, opts());
    expect((await first.next()).value).toMatchObject({ type: "step", seq: 1 });
    const second = await streamChat({ ...ask("me too"), chat_id: id }, opts()).next().catch((e: unknown) => e);
    expect(second).toMatchObject({ name: "ChatApiError", status: 409 });
    const rest: ChatEvent[] = [];
    for await (const event of first) rest.push(event);
    expect(rest.at(-1)).toMatchObject({ type: "done" });
  });
});

describe("conversations kept by the service: history \"server\", getMessages, getFile / getImage, listChats, deleteChat", () => {
  const userId = () => `user_${crypto.randomUUID().slice(0, 8)}`;

  /** A `fetch` that keeps the body of every request it sends. */
  function sentBodies(): { fetch: FetchLike; bodies: unknown[] } {
    const bodies: unknown[] = [];
    return { bodies, fetch: (url, init) => (typeof init.body === "string" && bodies.push(JSON.parse(init.body)), fetch(url, init)) };
  }

  /** One turn of a kept conversation: only the new user message; its events to the end. */
  async function turn(chat_id: string, user_id: string, content: UserContent, extra: Partial<ChatRequest> = {}, options: StreamOptions = opts()) {
    return run({ user_id, chat_id, history: "server", query: [{ role: "user", content }], ...extra }, options);
  }

  /** What the fake Azure was sent for the request whose text carries `nonce`. */
  async function modelInput(nonce: string) {
    const [record] = await fakeRequests(fake(), nonce);
    return (JSON.parse(record.body) as { messages: { role: string; content: unknown }[] }).messages;
  }

  const pngBytes = Uint8Array.from(atob(PNG_1X1_BASE64), (c) => c.charCodeAt(0));

  it("streamChat with history: \"server\": the second turn sends only its new message, and the model gets the first turn before it", async () => {
    const id = chatId();
    const user = userId();
    const tap = sentBodies();
    const first = await turn(id, user, "the first question", {}, opts({ fetch: tap.fetch }));
    expect(first.end).toMatchObject({ type: "done", data: { answer: "echo: the first question" } });
    const nonce = newNonce();
    const second = await turn(id, user, `the second question ${nonce}`, {}, opts({ fetch: tap.fetch }));
    expect(second.end).toMatchObject({ type: "done", data: { answer: `echo: the second question ${nonce}` } });

    // On the wire from the client: each turn's one new message, nothing else.
    expect(tap.bodies).toEqual([
      { user_id: user, chat_id: id, history: "server", query: [{ role: "user", content: "the first question" }], stream: true },
      { user_id: user, chat_id: id, history: "server", query: [{ role: "user", content: `the second question ${nonce}` }], stream: true },
    ]);
    // To the model: the stored first turn (question and answer), then the new message.
    expect((await modelInput(nonce)).map((m) => [m.role, JSON.stringify(m.content)])).toEqual([
      ["user", JSON.stringify([{ type: "text", text: "the first question" }])],
      ["assistant", JSON.stringify("echo: the first question")],
      ["user", JSON.stringify(`the second question ${nonce}`)],
    ]);
    const parser = second.end.data.steps.find((s) => s.tool_type === "InputParser")!;
    expect(JSON.parse(parser.observation!)).toMatchObject({ query_items: 1, history_messages: 2 });
  });

  it("getMessages returns the stored conversation, valid per the schema; replace_from edits a question and the answer is regenerated", async () => {
    const id = chatId();
    const user = userId();
    await turn(id, user, "one");
    const { end } = await turn(id, user, "two");
    const view = await getMessages(id, opts());
    assertValid("Conversation", view);
    expect(view).toMatchObject({ chat_id: id, user_id: user, title: "one" });
    expect(view.messages.map((m) => [m.role, m.status, m.content])).toEqual([
      ["user", null, [{ type: "input_text", text: "one" }]],
      ["assistant", "done", [{ type: "output_text", text: "echo: one" }]],
      ["user", null, [{ type: "input_text", text: "two" }]],
      ["assistant", "done", [{ type: "output_text", text: "echo: two" }]],
    ]);
    // An answer's id is its run's requestId, with the run's steps and usage.
    expect(view.messages[3]).toMatchObject({ id: end.requestId, usage: end.type === "done" ? end.data.usage : undefined });
    expect(view.messages[3].steps).toEqual(end.data.steps);

    const nonce = newNonce();
    const edited = await turn(id, user, `two, edited ${nonce}`, { replace_from: view.messages[2].id });
    expect(edited.end).toMatchObject({ type: "done", data: { answer: `echo: two, edited ${nonce}` } });
    expect((await modelInput(nonce)).map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    const after = await getMessages(id, opts());
    expect(after.messages.map((m) => m.content.map((p) => ("text" in p ? p.text : "")).join(""))).toEqual(["one", "echo: one", `two, edited ${nonce}`, `echo: two, edited ${nonce}`]);

    const bad = await turn(id, user, "x", { replace_from: "msg_nosuch" }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: "ChatApiError", status: 400, message: expect.stringMatching(/^replace_from: /) });
    const none = await getMessages(chatId(), opts()).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(ChatApiError);
    expect(none).toMatchObject({ status: 404, code: 404 });
  });

  it("getImage and getFile give a stored image's bytes (the PNG sent) and type, with the key; without it, a 404", async () => {
    const id = chatId();
    const user = userId();
    const withKey = opts({ apiKey: API_KEY });
    await turn(id, user, [{ type: "input_text", text: "what is this" }, { type: "input_image", image_url: `data:image/png;base64,${PNG_1X1_BASE64}` }], {}, withKey);
    const view = await getMessages(id, withKey);
    const image = view.messages[0].content[1];
    if (image?.type !== "input_image") throw new Error(`no stored image: ${JSON.stringify(view.messages[0])}`);
    const [, fileId] = new RegExp(`^/api/chat/${id}/files/(file_\\w+)$`).exec(image.image_url) ?? [];
    expect(fileId).toBeDefined();

    const blob = await getImage(image.image_url, withKey);
    expect(blob.type).toBe("image/png");
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(pngBytes);
    const file = await getFile(id, fileId, withKey);
    expect(file.type).toBe("image/png");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(pngBytes);

    // The file belongs to the key: none (anonymous) or an unknown file id is a 404.
    expect(await getImage(image.image_url, opts()).catch((e: unknown) => e)).toMatchObject({ name: "ChatApiError", status: 404 });
    expect(await getFile(id, "file_000000000000", withKey).catch((e: unknown) => e)).toMatchObject({ name: "ChatApiError", status: 404 });
    // A data: URL (an image as sent) is decoded without a request.
    const inline = await getImage(`data:image/png;base64,${PNG_1X1_BASE64}`, { baseUrl: "http://127.0.0.1:9", fetch: () => Promise.reject(new Error("no request expected")) });
    expect(inline.type).toBe("image/png");
    expect(new Uint8Array(await inline.arrayBuffer())).toEqual(pngBytes);
  });

  it("listChats pages a user's chats newest first (next_cursor null on the last page); a bad limit is a ChatApiError 400", async () => {
    const user = userId();
    const ids = [chatId(), chatId(), chatId()];
    for (const id of ids) await turn(id, user, `hello from ${id}`);
    const first = await listChats({ userId: user, limit: 2 }, opts());
    assertValid("ChatListPage", first);
    expect(first.chats.map((c) => c.chat_id)).toEqual([ids[2], ids[1]]);
    expect(first.chats[0]).toMatchObject({ title: `hello from ${ids[2]}`, messages: 2 });
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await listChats({ userId: user, limit: 2, cursor: first.next_cursor }, opts());
    expect(second).toEqual({ chats: [expect.objectContaining({ chat_id: ids[0], messages: 2 })], next_cursor: null });
    // Default limit (20): all three on one page; another key sees none of them.
    expect((await listChats({ userId: user }, opts())).chats.map((c) => c.chat_id)).toEqual([...ids].reverse());
    expect(await listChats({ userId: user }, opts({ apiKey: API_KEY }))).toEqual({ chats: [], next_cursor: null });

    const bad = await listChats({ userId: user, limit: 0 }, opts()).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ChatApiError);
    expect(bad).toMatchObject({ status: 400, message: expect.stringMatching(/^limit: /) });
  });

  it("deleteChat removes the conversation: getMessages, getFile and listChats show nothing of it, and a second delete is a 404", async () => {
    const id = chatId();
    const user = userId();
    await turn(id, user, [{ type: "input_text", text: "forget me" }, { type: "input_image", image_url: `data:image/png;base64,${PNG_1X1_BASE64}` }]);
    const [image] = (await getMessages(id, opts())).messages[0].content.filter((p) => p.type === "input_image");
    expect(await getImage(image.type === "input_image" ? image.image_url : "", opts())).toBeInstanceOf(Blob);
    expect((await listChats({ userId: user }, opts())).chats.map((c) => c.chat_id)).toEqual([id]);

    await expect(deleteChat(id, opts())).resolves.toBeUndefined();
    expect(await getMessages(id, opts()).catch((e: unknown) => e)).toMatchObject({ name: "ChatApiError", status: 404 });
    expect(await getImage(image.type === "input_image" ? image.image_url : "", opts()).catch((e: unknown) => e)).toMatchObject({ name: "ChatApiError", status: 404 });
    expect(await listChats({ userId: user }, opts())).toEqual({ chats: [], next_cursor: null });
    expect(await deleteChat(id, opts()).catch((e: unknown) => e)).toMatchObject({ name: "ChatApiError", status: 404 });
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

describe("a kept-alive connection after a refusal", () => {
  it("carries the next request: 300 POSTs refused with 401 (body unread by the app) one after another, none reset", async () => {
    // Node's fetch keeps the connection alive and reuses it; workerd used to close it with the body
    // unread, and the next POST on it failed with ECONNRESET about one time in thirty.
    const statuses = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const outcome = await fetch(`${dev.url}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer not-a-key" },
        body: JSON.stringify({ user_id: "refused", query: [{ role: "user", content: "hi" }] }),
      }).then(
        async (res) => (await res.arrayBuffer(), String(res.status)),
        (error: Error) => `${error.message}: ${String((error.cause as Error | undefined)?.message)}`,
      );
      statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ "401": 300 });
  });
});

describe("the built package in plain Node", () => {
  it("`import … from \"chatapi-client\"` runs in node without tsx and chats with the service", async () => {
    // The package entry (client/package.json exports → client/dist, built by `prepare`), as an
    // application would import it: plain node, no TypeScript loader (run inside client/, where the
    // package's own name resolves to itself; client-package.test.ts installs its tarball).
    const program = `
      import { streamChat, chat, ChatApiError } from "chatapi-client";
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
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", program, dev.url], { cwd: join(ROOT, "client"), env: { ...process.env, NODE_OPTIONS: "" }, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ types: ["step", "delta", "done"], last: "done", answer: "echo: from plain node", json: "echo: json", denied: 401 });
  });
});
