/**
 * `POST /api/ui/chat` speaks the Vercel AI SDK's UI message stream (the real SDK's own client is
 * tested in test/node/ai-sdk*.test.ts); here the wire format, read as SSE: its header, the chunk
 * order, text, steps as data parts, tool calls as dynamic tool parts, finish, resume and stop.
 */
import { describe, expect, it } from "vitest";
import { PNG_1X1_BASE64 } from "../../tools/png";
import { sseChunks } from "../../tools/sse";
import { fetchApp } from "./helpers";

type Chunk = { type: string; [key: string]: unknown };

function uiPost(body: unknown) {
  return fetchApp(new Request("http://chatapi.test/api/ui/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
}

async function chunks(res: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  return sseChunks(await res.text());
}

const chatId = () => `ui${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
const user = (text: string, extra: object[] = []) => ({ id: "m1", role: "user", parts: [{ type: "text", text }, ...extra] });

describe("POST /api/ui/chat", () => {
  it("answers with the UI message stream: header, start, steps as data parts, text parts, finish with requestId and usage, [DONE]", async () => {
    const res = await uiPost({ id: chatId(), messages: [user("hello ui")], trigger: "submit-message", user_id: "u1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const { chunks: all, done } = await chunks(res);
    expect(done).toBe(true);
    expect(all[0]).toMatchObject({ type: "start", messageId: expect.stringMatching(/^req_/) });
    const types = all.map((c) => c.type);
    expect(types).toContain("start-step");
    expect(types.indexOf("text-start")).toBeLessThan(types.indexOf("text-delta"));
    expect(types.indexOf("text-end")).toBeLessThan(types.lastIndexOf("finish-step"));
    const text = all.filter((c) => c.type === "text-delta").map((c) => c.delta).join("");
    expect(text).toBe("echo: hello ui");
    const steps = all.filter((c) => c.type === "data-step");
    expect(steps[0]).toMatchObject({ id: expect.stringMatching(/^msg_/), data: { tool_type: "System", tool_status: "Start" } });
    // A step updates in place: the same id again, in its final state.
    expect(steps.filter((c) => c.id === steps[0].id).at(-1)).toMatchObject({ data: { tool_status: "Success" } });
    expect(all.at(-1)).toMatchObject({ type: "finish", messageMetadata: { requestId: all[0].messageId, usage: { total_tokens: expect.any(Number) } } });
  });

  it("maps an image file part byte for byte, assistant text to an assistant turn, and earlier tool parts to the calls they were", async () => {
    const image = `data:image/png;base64,${PNG_1X1_BASE64}`;
    const res = await uiPost({
      id: chatId(),
      messages: [
        user("first"),
        {
          id: "a1",
          role: "assistant",
          parts: [
            { type: "step-start" },
            { type: "dynamic-tool", toolName: "search_models", toolCallId: "msg_tool1", state: "output-available", input: { query: "qwen" }, output: "6 models" },
            { type: "text", text: "Found six." },
          ],
        },
        user("what is this image?", [{ type: "file", mediaType: "image/png", url: image }]),
      ],
    });
    const { chunks: all } = await chunks(res);
    expect(all.at(-1)).toMatchObject({ type: "finish" });
    const input = all.find((c) => c.type === "data-step" && (c.data as { tool_type: string }).tool_type === "InputParser" && (c.data as { tool_status: string }).tool_status === "Success");
    expect(JSON.parse((input!.data as { observation: string }).observation)).toMatchObject({ query_items: 3, images: 1, roles: ["user", "assistant", "user"] });
  });

  it("refuses a bad request with a 400 naming the AI SDK's field", async () => {
    const res = await uiPost({ id: chatId(), messages: [user("x", [{ type: "file", mediaType: "image/png", url: "data:image/png;base64,AAAA" }])] });
    expect(res.status).toBe(400);
    expect((await res.json<{ message: string }>()).message).toMatch(/^messages\[0\]\.parts\[1\]\.url: /);
    const noId = await uiPost({ messages: [user("x")] });
    expect(noId.status).toBe(400);
    expect((await noId.json<{ message: string }>()).message).toMatch(/^id: /);
  });

  it("resumes the running chat from its start, 204 once it has ended; stop ends it with abort", async () => {
    const id = chatId();
    const first = await uiPost({ id, messages: [user("[[fake:chunks n=200 delay=10]]")] });
    const resumed = await fetchApp(new Request(`http://chatapi.test/api/ui/chat/${id}/stream`));
    expect(resumed.status).toBe(200);
    const stopped = await fetchApp(new Request(`http://chatapi.test/api/ui/chat/${id}/stop`, { method: "POST" }));
    expect(stopped.status).toBe(200);
    for (const res of [first, resumed]) {
      const { chunks: all, done } = await chunks(res);
      expect(all[0].type).toBe("start");
      expect(all.at(-1)).toMatchObject({ type: "abort" });
      expect(done).toBe(true);
    }
    expect((await fetchApp(new Request(`http://chatapi.test/api/ui/chat/${id}/stream`))).status).toBe(204);
  });
});
