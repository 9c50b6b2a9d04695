/**
 * The typed client (client/src) against hand-made responses: incremental NDJSON and SSE parsing
 * at any byte boundary, unknown event types ignored, the request it sends, and errors as
 * `ChatApiError`. The real server is in client.test.ts; the built package in client-package.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  ChatApiError, chat, imageProblem, readNdjson, readSse, sniffImageType, streamChat, toDataUrl,
  type ChatEvent, type ChatRequest, type FetchLike,
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
