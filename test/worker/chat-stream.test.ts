/** The happy path of POST /api/chat in every format, against the fake Azure over real HTTP. */
import { describe, expect, it } from "vitest";
import { fakeRequests, newNonce } from "../../tools/fakes/fake-azure-client";
import type { ChatEvent, Step } from "../../src/schema/events";
import { deltas, fakeUrl, ndjson, post, terminal, userText } from "./helpers";
import { PNG_1X1_BASE64 as PNG } from "../../tools/png";


function stepsById(events: ChatEvent[]): Map<string, Step[]> {
  const map = new Map<string, Step[]>();
  for (const e of events) if (e.type === "step") map.set(e.step.message_id, [...(map.get(e.step.message_id) ?? []), e.step]);
  return map;
}

describe("POST /api/chat, NDJSON (the default)", () => {
  it("streams steps, deltas and one done whose answer is the deltas joined", async () => {
    const res = await post(userText("hello there"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const requestId = res.headers.get("x-request-id")!;
    expect(requestId).toMatch(/^req_[0-9a-f]{12}$/);

    const events = await ndjson(res);
    for (const e of events) expect(e.requestId).toBe(requestId);
    const done = terminal(events);
    expect(done).toMatchObject({ type: "done", code: 200, message: "成功", requestId });
    expect(new Date(done.timestamp).toISOString()).toBe(done.timestamp);
    expect(done.data.answer).toBe("echo: hello there");
    expect(deltas(events)).toBe(done.data.answer);
    expect(done.data.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(done.data.usage!.total_tokens).toBe(done.data.usage!.prompt_tokens + done.data.usage!.completion_tokens);

    // Each step is announced at its start and again, same id, at its end; the done lists each once, final.
    const byId = stepsById(events);
    expect([...byId.values()].map((s) => s.map((x) => x.tool_status))).toEqual([
      ["Start", "Success"],
      ["Start", "Success"],
      ["Start", "Success"],
    ]);
    expect(done.data.steps.map((s) => s.tool_type)).toEqual(["System", "InputParser", "AzureOpenAI"]);
    expect(done.data.steps).toEqual([...byId.values()].map((s) => s.at(-1)));
    const [system, parser, model] = done.data.steps;
    expect(system.present_content).toBe("请求处理完成");
    expect(byId.get(system.message_id)![0]).toMatchObject({ present_content: "开始处理用户 user_123 的请求", parameters: '{"user_id":"user_123"}' });
    expect(JSON.parse(parser.parameters)).toEqual({ query_items: 1, images: 0 });
    expect(model.present_content).toMatch(/gpt-4\.1/);
    for (const s of done.data.steps) expect(Number.isInteger(s.execution_duration)).toBe(true);

    // Deltas belong to the AzureOpenAI step and come between its Start and its end.
    const modelEvents = events.map((e, i) => ({ e, i }));
    const startAt = modelEvents.find(({ e }) => e.type === "step" && e.step.message_id === model.message_id)!.i;
    const endAt = modelEvents.findLast(({ e }) => e.type === "step" && e.step.message_id === model.message_id)!.i;
    for (const { e, i } of modelEvents) {
      if (e.type !== "delta") continue;
      expect(e.message_id).toBe(model.message_id);
      expect(i).toBeGreaterThan(startAt);
      expect(i).toBeLessThan(endAt);
    }
  });

  it("speaks English when Accept-Language prefers it", async () => {
    const events = await ndjson(await post(userText("hi"), { lang: "en-US,en;q=0.9,zh;q=0.5" }));
    const done = terminal(events);
    expect(done.message).toBe("Success");
    const first = events[0];
    expect(first.type === "step" && first.step.present_content).toBe("Processing the request of user user_123");
    expect(done.data.steps[1].present_content).toBe("Parsing input: 1 message, 0 images");
  });

  it("passes Chinese, emoji and keep-alive-laden streams split mid-character through intact", async () => {
    const events = await ndjson(await post(userText("[[fake:unicode split=5 keepalive]]")));
    const done = terminal(events);
    expect(done.type).toBe("done");
    expect(done.data.answer).toMatch(/[\u4e00-\u9fff]/);
    expect(done.data.answer).toMatch(/\p{Extended_Pictographic}/u);
    expect(done.data.answer).not.toContain("\uFFFD");
    expect(deltas(events)).toBe(done.data.answer);
  });

  it("ends a finish_reason=length answer as done", async () => {
    const done = terminal(await ndjson(await post(userText("[[fake:length]] abc"))));
    expect(done.type).toBe("done");
    expect(JSON.parse(done.data.steps[2].observation!)).toMatchObject({ finish_reason: "length" });
  });
});

describe("POST /api/chat, SSE and JSON", () => {
  it("streams SSE with id (the seq), event and data lines when Accept is text/event-stream", async () => {
    const res = await post(userText("sse please"), { accept: "text/event-stream" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    // As an SSE client reads it: comment lines (the disconnect probe ":", the ": ping" keep-alive,
    // which a loaded machine's slow stream can get between events) are not part of any event.
    const blocks = (await res.text())
      .split("\n\n")
      .map((block) => block.split("\n").filter((line) => line !== "" && !line.startsWith(":")))
      .filter((lines) => lines.length > 0);
    const events = blocks.map(([idLine, eventLine, dataLine], i) => {
      const event = JSON.parse(dataLine.replace(/^data: /, "")) as ChatEvent;
      expect(idLine).toBe(`id: ${i + 1}`);
      expect(event.seq).toBe(i + 1);
      expect(eventLine).toBe(`event: ${event.type}`);
      return event;
    });
    expect(terminal(events).data.answer).toBe("echo: sse please");
  });

  it.each([
    ["Accept: application/json", { accept: "application/json" }, {}],
    ['"stream": false', {}, { stream: false }],
  ])("answers one envelope with %s", async (_, options, extra) => {
    const res = await post(userText("json please", extra), options);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json<Record<string, unknown>>();
    expect(body).not.toHaveProperty("type");
    expect(body).toMatchObject({ code: 200, message: "成功", requestId: res.headers.get("x-request-id"), data: { answer: "echo: json please" } });
    expect((body.data as { steps: Step[] }).steps.map((s) => s.tool_status)).toEqual(["Success", "Success", "Success"]);
  });

  it("refuses an Accept it cannot serve with 406", async () => {
    const res = await post(userText("x"), { accept: "text/html" });
    expect(res.status).toBe(406);
    expect(await res.json()).toMatchObject({ code: 406 });
  });
});

describe("what reaches Azure", () => {
  it("maps every part and forwards text and images byte for byte", async () => {
    const nonce = newNonce();
    const text = `这是什么图像？ ${nonce} \u0000 "quotes" \\ 😀`;
    const image = `data:image/png;base64,${PNG}`;
    const res = await post({
      user_id: "user_123",
      query: [
        { role: "system", content: "You are concise." },
        { role: "user", content: [{ type: "input_text", text }, { type: "input_image", image_url: image, detail: "high" }, { type: "input_image", image_url: "https://example.com/cat.jpg" }] },
        { role: "assistant", content: [{ type: "output_text", text: "A cat." }] },
        { role: "user", content: `again ${nonce}` },
      ],
    });
    const events = await ndjson(res);
    expect(terminal(events).type).toBe("done");
    expect(JSON.parse(terminal(events).data.steps[1].parameters)).toEqual({ query_items: 4, images: 2 });

    const [record] = await fakeRequests(fakeUrl(), nonce);
    expect(record.path).toBe("/openai/deployments/gpt-4.1/chat/completions");
    expect(record.query["api-version"]).toBe("2024-10-21");
    expect(record.headers["api-key"]).toBe("test-azure-key-7f3a9c");
    const sent = JSON.parse(record.body);
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(sent.tools).toBeUndefined();
    expect(sent.messages).toEqual([
      { role: "system", content: "You are concise." },
      { role: "user", content: [{ type: "text", text }, { type: "image_url", image_url: { url: image, detail: "high" } }, { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } }] },
      { role: "assistant", content: [{ type: "text", text: "A cat." }] },
      { role: "user", content: `again ${nonce}` },
    ]);
    // Byte for byte: the image's base64 appears verbatim in the raw body.
    expect(record.body).toContain(JSON.stringify(image));
  });
});
