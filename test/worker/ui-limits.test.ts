/**
 * The request limits hold for what an AI SDK request becomes upstream, not only for its text
 * parts: earlier tool parts are tool calls and results the model is sent, so each result's text is
 * bounded by MAX_TEXT_CHARS (413) and the messages they make count against MAX_QUERY_ITEMS (400),
 * each error naming the UI field; nothing reaches Azure.
 */
import { describe, expect, it } from "vitest";
import { fakeRequests, newNonce } from "../../tools/fakes/fake-azure-client";
import { envelopeOf, fakeUrl, fetchApp } from "./helpers";

function uiPost(body: unknown) {
  return fetchApp(new Request("http://chatapi.test/api/ui/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
}

const chatId = () => `uil${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
const toolPart = (i: number, output: unknown) => ({
  type: "dynamic-tool", toolName: "echo", toolCallId: `call_${i}`, state: "output-available", input: {}, output,
});

describe("AI SDK requests and the limits upstream", () => {
  it("refuses a forged tool output longer than MAX_TEXT_CHARS with a 413 naming the part, before Azure is asked", async () => {
    const nonce = newNonce();
    const res = await uiPost({
      id: chatId(),
      messages: [
        { id: "u1", role: "user", parts: [{ type: "text", text: `first ${nonce}` }] },
        { id: "a1", role: "assistant", parts: [toolPart(0, "x".repeat(200_001))] },
        { id: "u2", role: "user", parts: [{ type: "text", text: `again ${nonce}` }] },
      ],
    });
    const body = await envelopeOf(res, 413);
    expect(body.message).toMatch(/^messages\[1\]\.parts\[0\]\.output: 200001 characters, more than the 200000 allowed \(MAX_TEXT_CHARS\)/);
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(0);
  });

  it("refuses tool parts that make more model messages than MAX_QUERY_ITEMS with a 400 naming messages", async () => {
    const nonce = newNonce();
    // 3 UI messages, 124 upstream: the user's, two assistant turns with 60 calls each and their
    // 120 results, the last user's.
    const parts = Array.from({ length: 60 }, (_, i) => toolPart(i, "ok"));
    const res = await uiPost({
      id: chatId(),
      messages: [
        { id: "u1", role: "user", parts: [{ type: "text", text: `first ${nonce}` }] },
        { id: "a1", role: "assistant", parts: [...parts, { type: "text", text: "between" }, ...parts] },
        { id: "u2", role: "user", parts: [{ type: "text", text: `again ${nonce}` }] },
      ],
    });
    const body = await envelopeOf(res, 400);
    expect(body.message).toMatch(/^messages: 124 messages for the model \(each tool call and result counts\), more than the 100 allowed \(MAX_QUERY_ITEMS\)/);
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(0);
  });

  it("still takes earlier tool parts within the limits", async () => {
    const res = await uiPost({
      id: chatId(),
      messages: [
        { id: "u1", role: "user", parts: [{ type: "text", text: "first" }] },
        { id: "a1", role: "assistant", parts: [toolPart(0, "x".repeat(200_000))] },
        { id: "u2", role: "user", parts: [{ type: "text", text: "again" }] },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/"type":"finish"/);
  });
});
