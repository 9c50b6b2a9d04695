/**
 * The typed client (client/src) against hand-made responses: incremental NDJSON and SSE parsing
 * at any byte boundary, unknown event types ignored, the request it sends, and errors as
 * `ChatApiError`. The real server is in client.test.ts; the built package in client-package.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  ChatApiError, answerApproval, chat, imageProblem, readNdjson, readSse, resumeChat, sniffImageType, stopChat, streamChat, toDataUrl,
  type ChatEvent, type ChatRequest, type FetchLike, type ReconnectInfo,
} from "../../client/src";
import { tinyPng } from "../../tools/png";

const step = { type: "step", requestId: "req_1", step: { message_id: "m1", present_content: "开始处理用户 u 的请求", tool_type: "System", parameters: "{}", tool_status: "Start" } };
const delta = (text: string) => ({ type: "delta", requestId: "req_1", message_id: "m2", text });
const done = { type: "done", code: 200, message: "成功", timestamp: "t", requestId: "req_1", data: { steps: [], answer: "你好🌍", usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } } };
const request: ChatRequest = { user_id: "u", query: [{ role: "user", content: "hi" }] };

/** A body that delivers `text` in pieces of `size` bytes (so UTF-8 characters get split). */
function body(text: string, size: number, onCancel?: () => void): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, (at += size)));
    },
    cancel: onCancel,
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const ndjsonText = [step, delta("你好"), { type: "keepalive" }, delta("🌍"), done].map((e) => JSON.stringify(e)).join("\r\n") + "\n\n";

describe("readNdjson / readSse", () => {
  it.each([1, 2, 3, 7, 64, 100_000])("NDJSON in %i-byte pieces: the known events, in order", async (size) => {
    const events = await collect(readNdjson(body(ndjsonText, size)));
    expect(events).toEqual([step, delta("你好"), delta("🌍"), done]);
  });

  it("NDJSON: a last line without a newline still counts", async () => {
    expect(await collect(readNdjson(body(JSON.stringify(done), 5)))).toEqual([done]);
  });

  it.each([1, 3, 16, 100_000])("SSE in %i-byte pieces: data lines joined, comments, other types and [DONE] ignored", async (size) => {
    const json = JSON.stringify(done);
    const cut = json.indexOf(',"code"') + 1; // a data field over two lines, joined with "\n"
    const text =
      ": keep-alive\n\n" +
      `event: step\ndata: ${JSON.stringify(step)}\n\n` +
      `event: delta\r\ndata:${JSON.stringify(delta("你好"))}\r\n\r\n` +
      `event: ping\ndata: {"type":"ping"}\n\n` +
      `event: done\ndata: ${json.slice(0, cut)}\ndata: ${json.slice(cut)}\n\n` +
      "data: [DONE]\n\n";
    const events = await collect(readSse(body(text, size)));
    expect(events).toEqual([step, delta("你好"), done]);
  });
});

function fakeFetch(respond: (url: string, init: RequestInit) => Response): { fetch: FetchLike; calls: { url: string; init: RequestInit }[] } {
  const calls: { url: string; init: RequestInit }[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      return respond(url, init);
    },
  };
}

const ndjsonResponse = (text: string, size = 9, onCancel?: () => void) =>
  new Response(body(text, size, onCancel), { headers: { "content-type": "application/x-ndjson", "x-request-id": "req_1" } });

describe("streamChat", () => {
  it("sends the request with the key, the language and the format it wants", async () => {
    const f = fakeFetch(() => ndjsonResponse(ndjsonText));
    const events = await collect(streamChat(request, { baseUrl: "https://api.example/", apiKey: "k1", lang: "en", fetch: f.fetch }));
    expect(events).toHaveLength(4);
    const [{ url, init }] = f.calls;
    expect(url).toBe("https://api.example/api/chat");
    expect(init.method).toBe("POST");
    expect(init.headers).toEqual({ "Content-Type": "application/json", Accept: "application/x-ndjson", Authorization: "Bearer k1", "Accept-Language": "en" });
    expect(JSON.parse(init.body as string)).toEqual({ ...request, stream: true });

    const g = fakeFetch(() => new Response(`data: ${JSON.stringify(done)}\n\n`));
    await collect(streamChat(request, { baseUrl: "", format: "sse", fetch: g.fetch }));
    expect(g.calls[0].url).toBe("/api/chat");
    expect(g.calls[0].init.headers).toEqual({ "Content-Type": "application/json", Accept: "text/event-stream" });
  });

  it("turns an error envelope into a ChatApiError with its status, code, message, request id and data", async () => {
    const envelope = { code: 429, message: "Rate limit exceeded", timestamp: "t", requestId: "req_9", data: { steps: [] } };
    const f = fakeFetch(() => Response.json(envelope, { status: 429, headers: { "retry-after": "7", "x-request-id": "req_9" } }));
    const error = await collect(streamChat(request, { baseUrl: "", fetch: f.fetch })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error).toMatchObject({ name: "ChatApiError", status: 429, code: 429, message: "Rate limit exceeded", requestId: "req_9", data: { steps: [] }, retryAfter: 7 });
  });

  it("describes a non-envelope error body plainly", async () => {
    const f = fakeFetch(() => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "x-request-id": "req_5" } }));
    const error = (await chat(request, { baseUrl: "", fetch: f.fetch }).catch((e: unknown) => e)) as ChatApiError;
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error).toMatchObject({ status: 502, code: 502, message: "HTTP 502: <html>Bad gateway</html>", requestId: "req_5" });
  });

  it("throws when the stream ends without done or error", async () => {
    const f = fakeFetch(() => ndjsonResponse([step, delta("半")].map((e) => JSON.stringify(e) + "\n").join("")));
    const seen: ChatEvent[] = [];
    const error = await (async () => {
      for await (const e of streamChat(request, { baseUrl: "", fetch: f.fetch })) seen.push(e);
    })().catch((e: unknown) => e);
    expect(seen.map((e) => e.type)).toEqual(["step", "delta"]);
    expect(error).toMatchObject({ name: "ChatApiError", status: 200, code: 502, requestId: "req_1" });
  });

  it("yields nothing after the terminal event, and reads the body to its end instead of cancelling it", async () => {
    let cancelled = 0;
    const text = [step, delta("a"), done, delta("after")].map((e) => JSON.stringify(e) + "\n").join("");
    const events = await collect(streamChat(request, { baseUrl: "", fetch: fakeFetch(() => ndjsonResponse(text, 20, () => cancelled++)).fetch }));
    expect(events.map((e) => e.type)).toEqual(["step", "delta", "done"]);
    // A cancelled body is an aborted request (so every chat would show as failed in DevTools).
    expect(cancelled).toBe(0);
  });

  it("cancels the body when the caller leaves early", async () => {
    let cancelled = 0;
    for await (const e of streamChat(request, { baseUrl: "", fetch: fakeFetch(() => ndjsonResponse(ndjsonText, 5, () => cancelled++)).fetch })) {
      expect(e.type).toBe("step");
      break;
    }
    expect(cancelled).toBe(1);
  });
});

/** Events numbered as the server numbers them (seq 1, 2, 3, …), all of one run. */
function numbered(count: number, runId = "req_r") {
  const events: Record<string, unknown>[] = [{ ...step, requestId: runId }];
  for (let i = 1; i < count - 1; i++) events.push({ ...delta(`d${i} `), requestId: runId });
  const answer = events.slice(1).map((e) => e.text).join("");
  events.push({ ...done, requestId: runId, data: { ...done.data, answer } });
  return events.map((e, i) => ({ ...e, seq: i + 1 })) as ChatEvent[];
}
const lines = (events: object[]) => events.map((e) => JSON.stringify(e) + "\n").join("");

/** A body that sends `text`, then fails as a dropped connection does (the read rejects). */
function cutBody(text: string): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (sent) return controller.error(new TypeError("terminated"));
      sent = true;
      controller.enqueue(new TextEncoder().encode(text));
    },
  });
}

const runResponse = (b: ReadableStream<Uint8Array> | string, runId = "req_r") =>
  new Response(b, { headers: { "content-type": "application/x-ndjson", "x-request-id": runId } });

describe("keep-alives", () => {
  it("skips the server's NDJSON ping lines and SSE `: ping` comments: no ChatEvent is ever a ping", async () => {
    const all = numbered(4);
    const ping = (seq: number) => ({ type: "ping", requestId: "req_r", seq });
    const ndjson = lines([ping(0), all[0], ping(1), all[1], all[2], ping(3), all[3]]);
    expect((await collect(readNdjson(body(ndjson, 7)))).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    const sse = all.map((e, i) => `${i % 2 ? ": ping\n\n" : ""}id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
    expect((await collect(readSse(body(sse, 5)))).map((e) => e.type)).toEqual(["step", "delta", "delta", "done"]);
    const streamed = await collect(streamChat({ ...request, chat_id: "c1" }, { baseUrl: "", fetch: fakeFetch(() => runResponse(ndjson)).fetch }));
    expect(streamed.map((e) => e.type)).not.toContain("ping");
  });
});

describe("reconnection of a resumable chat (hand-made responses; the real network cut is in client.test.ts)", () => {
  it("picks a cut stream up after the last seq it yielded (GET …/stream?after=N), each event once, and tells onReconnect", async () => {
    const all = numbered(8);
    // The second response starts before the cut (seq 3, 4 again): they must not be yielded twice.
    const f = fakeFetch((url) => (url.endsWith("/api/chat") ? runResponse(cutBody(lines(all.slice(0, 4)))) : runResponse(lines(all.slice(2)))));
    const told: ReconnectInfo[] = [];
    const events = await collect(streamChat({ ...request, chat_id: "chat-7" }, { baseUrl: "https://api.example", apiKey: "k1", fetch: f.fetch, reconnect: { delayMs: 1, onReconnect: (i) => told.push(i) } }));
    expect(events).toEqual(all);
    expect(f.calls.map((c) => [c.init.method, c.url])).toEqual([["POST", "https://api.example/api/chat"], ["GET", "https://api.example/api/chat/chat-7/stream?after=4"]]);
    expect(f.calls[1].init.headers).toEqual({ Accept: "application/x-ndjson", Authorization: "Bearer k1" });
    expect(told).toEqual([{ attempt: 1, after: 4, delayMs: 1, error: new TypeError("terminated") }]);
  });

  it("also reconnects when the body ends cleanly without a terminal event (a proxy closed it)", async () => {
    const all = numbered(6);
    const f = fakeFetch((url) => runResponse(lines(url.endsWith("/api/chat") ? all.slice(0, 3) : all.slice(3))));
    expect(await collect(streamChat({ ...request, chat_id: "c" }, { baseUrl: "", fetch: f.fetch, reconnect: { delayMs: 1 } }))).toEqual(all);
    expect(f.calls[1].url).toBe("/api/chat/c/stream?after=3");
  });

  it("retries a failed reconnection (network error, 503) with a doubling pause, and throws the last failure after `retries` attempts", async () => {
    const all = numbered(6);
    let gets = 0;
    const f = fakeFetch((url) => {
      if (url.endsWith("/api/chat")) return runResponse(cutBody(lines(all.slice(0, 2))));
      gets++;
      if (gets === 1) throw new TypeError("fetch failed");
      return Response.json({ code: 503, message: "busy", timestamp: "t", requestId: "req_x", data: { steps: [] } }, { status: 503 });
    });
    const told: ReconnectInfo[] = [];
    const seen: ChatEvent[] = [];
    const error = await (async () => {
      for await (const e of streamChat({ ...request, chat_id: "c" }, { baseUrl: "", fetch: f.fetch, reconnect: { retries: 3, delayMs: 2, onReconnect: (i) => told.push(i) } })) seen.push(e);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(all.slice(0, 2));
    expect(told.map((i) => [i.attempt, i.after, i.delayMs])).toEqual([[1, 2, 2], [2, 2, 4], [3, 2, 8]]);
    expect(gets).toBe(3);
    expect(error).toMatchObject({ name: "ChatApiError", status: 503, message: "busy" });
  });

  it("does not retry a reconnection the server refuses for good (204: the chat is gone)", async () => {
    const f = fakeFetch((url) => (url.endsWith("/api/chat") ? runResponse(cutBody(lines(numbered(5).slice(0, 2)))) : new Response(null, { status: 204 })));
    const error = await collect(streamChat({ ...request, chat_id: "gone" }, { baseUrl: "", fetch: f.fetch, reconnect: { delayMs: 1 } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ChatApiError", status: 204 });
    expect((error as Error).message).toMatch(/^Nothing to resume: no chat "gone"/);
    expect(f.calls).toHaveLength(2);
  });

  it("refuses to splice in another run's events when the chat moved on to a new run meanwhile", async () => {
    const mine = numbered(6, "req_mine");
    const theirs = numbered(6, "req_theirs");
    // Told by the response's X-Request-Id, or (a proxy that drops it) by the events' requestId.
    for (const theirHeaders of [{ "x-request-id": "req_theirs" }, {}] as Record<string, string>[]) {
      const f = fakeFetch((url) => (url.endsWith("/api/chat") ? runResponse(cutBody(lines(mine.slice(0, 3))), "req_mine") : new Response(lines(theirs), { headers: theirHeaders })));
      const seen: ChatEvent[] = [];
      const error = await (async () => {
        for await (const e of streamChat({ ...request, chat_id: "c" }, { baseUrl: "", fetch: f.fetch, reconnect: { delayMs: 1 } })) seen.push(e);
      })().catch((e: unknown) => e);
      expect(seen).toEqual(mine.slice(0, 3));
      expect(error).toMatchObject({ name: "ChatApiError", status: 409, requestId: "req_mine" });
      expect((error as Error).message).toContain("req_theirs");
    }
  });

  it("without chat_id, or with reconnect: false, a cut stream throws its read error as before (no second request)", async () => {
    for (const [req, reconnect] of [[request, undefined], [{ ...request, chat_id: "c" }, false]] as const) {
      const f = fakeFetch(() => runResponse(cutBody(lines(numbered(5).slice(0, 2)))));
      const error = await collect(streamChat(req, { baseUrl: "", fetch: f.fetch, reconnect })).catch((e: unknown) => e);
      expect(error).toEqual(new TypeError("terminated"));
      expect(f.calls).toHaveLength(1);
    }
  });

  it("stops waiting to reconnect as soon as the signal aborts", async () => {
    const abort = new AbortController();
    const f = fakeFetch(() => runResponse(cutBody(lines(numbered(5).slice(0, 2)))));
    const pending = collect(streamChat({ ...request, chat_id: "c" }, { baseUrl: "", fetch: f.fetch, signal: abort.signal, reconnect: { delayMs: 60_000, onReconnect: () => abort.abort() } }));
    const error = await pending.catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(f.calls).toHaveLength(1);
  });
});

describe("resumeChat and stopChat", () => {
  it("resumeChat GETs the chat's stream after `after` in the format asked for, and yields its events", async () => {
    const all = numbered(5);
    const f = fakeFetch(() => runResponse(lines(all.slice(2))));
    const events = await collect(resumeChat("conv_42", { baseUrl: "https://api.example/", after: 2, lang: "en", fetch: f.fetch }));
    expect(events).toEqual(all.slice(2));
    expect(f.calls[0].url).toBe("https://api.example/api/chat/conv_42/stream?after=2");
    expect(f.calls[0].init).toMatchObject({ method: "GET", headers: { Accept: "application/x-ndjson", "Accept-Language": "en" } });
    expect(f.calls[0].init.body).toBeUndefined();

    const g = fakeFetch(() => new Response(all.map((e) => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`).join("")));
    expect(await collect(resumeChat("conv_42", { baseUrl: "", format: "sse", fetch: g.fetch }))).toEqual(all);
    expect(g.calls[0].url).toBe("/api/chat/conv_42/stream?after=0");
    expect(g.calls[0].init.headers).toEqual({ Accept: "text/event-stream" });
  });

  it("resumeChat throws a ChatApiError with status 204 when there is nothing to resume, before any event", async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const error = await collect(resumeChat("nobody", { baseUrl: "", fetch: f.fetch })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error).toMatchObject({ status: 204, code: 204 });
    expect(f.calls).toHaveLength(1);
  });

  it("stopChat POSTs …/stop without a body and returns the envelope; a 404 throws", async () => {
    const { type: _t, ...envelope } = done;
    const f = fakeFetch(() => Response.json({ ...envelope, message: "Stopped" }));
    expect(await stopChat("conv/42", { baseUrl: "http://x", apiKey: "k", fetch: f.fetch })).toEqual({ ...envelope, message: "Stopped" });
    expect(f.calls[0].url).toBe("http://x/api/chat/conv%2F42/stop");
    expect(f.calls[0].init).toMatchObject({ method: "POST", headers: { Accept: "application/json", Authorization: "Bearer k" } });
    expect(f.calls[0].init.body).toBeUndefined();
    const g = fakeFetch(() => Response.json({ code: 404, message: "This chat has no run going", timestamp: "t", requestId: "req_s", data: { steps: [] } }, { status: 404 }));
    expect(await stopChat("c", { baseUrl: "", fetch: g.fetch }).catch((e: unknown) => e)).toMatchObject({ name: "ChatApiError", status: 404, message: "This chat has no run going" });
  });
});

describe("answerApproval", () => {
  it("POSTs the decision as JSON to …/approvals/{approval_id} and returns the envelope; a 404 throws", async () => {
    const envelope = { code: 200, message: "Denied", timestamp: "t", requestId: "req_a", data: { steps: [] } };
    const f = fakeFetch(() => Response.json(envelope));
    expect(await answerApproval("conv/42", "apr_0123456789ab", { approve: false, reason: "not now" }, { baseUrl: "http://x/", apiKey: "k", fetch: f.fetch })).toEqual(envelope);
    expect(f.calls[0].url).toBe("http://x/api/chat/conv%2F42/approvals/apr_0123456789ab");
    expect(f.calls[0].init).toMatchObject({ method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: "Bearer k" } });
    expect(f.calls[0].init.body).toBe('{"approve":false,"reason":"not now"}');
    const g = fakeFetch(() => Response.json({ code: 404, message: "No tool call of this chat waits for that approval (unknown, or already answered)", timestamp: "t", requestId: "req_b", data: { steps: [] } }, { status: 404 }));
    expect(await answerApproval("c", "apr_0123456789ab", { approve: true }, { baseUrl: "", fetch: g.fetch }).catch((e: unknown) => e)).toMatchObject({ name: "ChatApiError", status: 404, requestId: "req_b" });
  });
});

describe("chat", () => {
  it("asks for JSON and returns the envelope", async () => {
    const { type: _t, ...envelope } = done;
    const f = fakeFetch(() => Response.json(envelope));
    expect(await chat(request, { baseUrl: "http://x", fetch: f.fetch })).toEqual(envelope);
    expect(f.calls[0].init.headers).toMatchObject({ Accept: "application/json" });
    expect(JSON.parse(f.calls[0].init.body as string)).toEqual({ ...request, stream: false });
  });
});

describe("images", () => {
  it("checks type and size like the server, and makes data URLs", () => {
    expect(imageProblem({ type: "image/png", size: 20 * 1024 * 1024 })).toBeUndefined();
    expect(imageProblem({ type: "image/png", size: 20 * 1024 * 1024 + 1 })).toBe("size");
    expect(imageProblem({ type: "image/bmp", size: 10 })).toBe("type");
    const png = tinyPng(3, 2);
    expect(sniffImageType(png)).toBe("image/png");
    expect(sniffImageType(new TextEncoder().encode("GIF89a..."))).toBe("image/gif");
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImageType(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
    expect(sniffImageType(new TextEncoder().encode("hello"))).toBeUndefined();
    expect(toDataUrl(png, "image/png")).toBe(`data:image/png;base64,${Buffer.from(png).toString("base64")}`);
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(toDataUrl(big, "image/gif")).toBe(`data:image/gif;base64,${Buffer.from(big).toString("base64")}`);
  });
});
