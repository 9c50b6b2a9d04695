/** One structured JSON log line per request, written when the response is complete; no secrets or content. */
import { describe, expect, it } from "vitest";
import type { Step } from "../../src/schema/events";
import { newNonce } from "../../tools/fakes/fake-azure-client";
import { envelopeOf, ndjson, post, terminal } from "./helpers";
import { requestLines } from "./leak-registry";
import { logLineOf, send } from "./security-support";
import { PNG_1X1_BASE64 as PNG } from "../../tools/png";


async function sha16(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
}

describe("the request log line", () => {
  it("describes a streamed chat without its content, once the stream has ended", async () => {
    const nonce = newNonce("secret-text");
    const userId = `user-${crypto.randomUUID()}`;
    const res = await post({
      user_id: userId,
      query: [{ role: "user", content: [{ type: "input_text", text: `[[fake:chunks n=8 delay=40]] ${nonce}` }, { type: "input_image", image_url: `data:image/png;base64,${PNG}` }] }],
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id")!;
    const reader = res.body!.getReader();
    await reader.read();
    // The stream is still going: no line yet.
    expect(requestLines().filter((l) => l.requestId === requestId)).toEqual([]);
    while (!(await reader.read()).done);

    const line = await logLineOf(requestId);
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      requestId,
      method: "POST",
      path: "/api/chat",
      status: 200,
      format: "ndjson",
      key: "anonymous",
      user: await sha16(userId),
      outcome: "done",
      rounds: 1,
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) },
    });
    expect(line.ttfb_ms).toEqual(expect.any(Number));
    // Eight chunks 40 ms apart came after the first byte.
    expect((line.duration_ms as number) - (line.ttfb_ms as number)).toBeGreaterThanOrEqual(200);
    const text = JSON.stringify(line);
    for (const content of [nonce, userId, PNG.slice(0, 20), "fake:chunks"]) expect(text).not.toContain(content);
  });

  it("describes a JSON chat, with no time to first byte", async () => {
    const res = await post({ user_id: "u-json", query: [{ role: "user", content: "hi" }] }, { accept: "application/json" });
    expect(res.status).toBe(200);
    await res.json();
    const line = await logLineOf(res);
    expect(line).toMatchObject({ status: 200, format: "json", outcome: "done", rounds: 1 });
    expect(line).not.toHaveProperty("ttfb_ms");
  });

  it("reports a stream that ended in an error event with its code", async () => {
    const events = await ndjson(await post({ user_id: "u-break", query: [{ role: "user", content: "[[fake:break]]" }] }));
    const end = terminal(events);
    expect(end.code).toBe(502);
    const line = await logLineOf(end.requestId);
    expect(line).toMatchObject({ level: "error", status: 200, code: 502, outcome: "error", format: "ndjson" });
    expect(line.error).toEqual(expect.any(String));
  });

  it("reports a client that left", async () => {
    const res = await post({ user_id: "u-gone", query: [{ role: "user", content: "[[fake:chunks n=200 delay=20]]" }] });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(await logLineOf(res)).toMatchObject({ status: 200, outcome: "client_closed" });
  });

  it("describes refused requests: status, error message, no user", async () => {
    const res = await send("/api/chat", { body: JSON.stringify({ user_id: "u", query: [] }) });
    await envelopeOf(res, 400);
    const line = await logLineOf(res);
    expect(line).toMatchObject({ level: "warn", status: 400, error: expect.stringMatching(/^query: /) });
    expect(line).not.toHaveProperty("user");
    const health = await send("/health", { method: "GET" });
    expect(await logLineOf(health)).toMatchObject({ level: "info", method: "GET", path: "/health", status: 200 });
  });

  it("is one JSON object on one line for every request", async () => {
    const responses = await Promise.all([
      send("/health", { method: "GET" }),
      send("/nope", { method: "GET" }),
      send("/api/chat", { method: "PUT" }),
      send("/api/chat", { body: "{" }),
      post({ user_id: "u-many", query: [{ role: "user", content: "hello" }] }),
    ]);
    for (const res of responses) {
      await res.arrayBuffer();
      const line = await logLineOf(res);
      expect(line.duration_ms).toEqual(expect.any(Number));
    }
  });
});
