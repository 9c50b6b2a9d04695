/**
 * The published JSON Schema: served at GET /api/schema, and saying the same as zod about valid and
 * invalid documents. (That the committed file is a fresh generation is test/node/generated-files.test.ts.)
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import committed from "../../schema/chatapi.schema.json";
import app from "../../src/index";
import { ChatListPage, ConversationView } from "../../src/schema/conversations";
import { ChatEvent, Envelope } from "../../src/schema/events";
import { ChatRequest } from "../../src/schema/request";
import { schemaErrors, type SchemaDef } from "../support/event-schema";

const step = { message_id: "msg_1", present_content: "开始处理用户 u 的请求", tool_type: "System", parameters: '{"user_id":"u"}', tool_status: "Start" };
const done = {
  type: "done", code: 200, message: "成功", timestamp: "2025-12-16T10:30:00.000Z", requestId: "req_1",
  data: { steps: [{ ...step, tool_status: "Success", observation: "{}", execution_duration: 12 }], answer: "这是", usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
};
const request = {
  user_id: "user_123",
  query: [
    { role: "system", content: "You are concise." },
    { role: "user", content: [{ type: "input_text", text: "这是什么图像？" }, { type: "input_image", image_url: "data:image/jpeg;base64,/9j/4AAQ", detail: "auto" }] },
    { role: "assistant", content: [{ type: "output_text", text: "..." }] },
  ],
  stream: true,
};
const at = "2025-12-16T10:30:00.000Z";
const conversation = {
  chat_id: "conv_1", user_id: "u", title: "这是什么图像？", created_at: at, updated_at: at,
  messages: [
    { id: "msg_1", role: "user", content: [{ type: "input_text", text: "这是什么图像？" }, { type: "input_image", image_url: "/api/chat/conv_1/files/file_0123456789ab", detail: "low" }], steps: [], usage: null, status: null, created_at: at },
    { id: "req_1", role: "assistant", content: [{ type: "output_text", text: "这是" }], steps: done.data.steps, usage: done.data.usage, status: "done", created_at: at },
  ],
};
const chatPage = { chats: [{ chat_id: "conv_1", title: "这是什么图像？", updated_at: at, messages: 2 }], next_cursor: null };

/** Documents on which zod and the JSON Schema must agree. */
const cases: [SchemaDef, boolean, unknown][] = [
  ["ChatRequest", true, request],
  ["ChatRequest", true, { user_id: "u", query: [{ role: "user", content: "hi" }] }],
  ["ChatRequest", false, { user_id: "", query: [{ role: "user", content: "hi" }] }],
  ["ChatRequest", false, { user_id: "x".repeat(129), query: [{ role: "user", content: "hi" }] }],
  ["ChatRequest", false, { user_id: "u", query: [] }],
  ["ChatRequest", false, { user_id: "u", query: [{ role: "robot", content: "hi" }] }],
  ["ChatRequest", false, { user_id: "u", query: [{ role: "user", content: [{ type: "input_image", image_url: "x", detail: "max" }] }] }],
  ["ChatRequest", false, { user_id: "u", query: [{ role: "system", content: [{ type: "output_text", text: "a" }] }] }],
  ["ChatRequest", false, { user_id: "u", query: [{ role: "user", content: [] }] }],
  ["ChatRequest", true, { user_id: "u", query: [{ role: "user", content: "hi" }], chat_id: "conv_1-a" }],
  ["ChatRequest", false, { user_id: "u", query: [{ role: "user", content: "hi" }], chat_id: "conv 1" }],
  ["ChatRequest", false, { user_id: "u", query: [{ role: "user", content: "hi" }], steam: false }],
  ["ChatEvent", true, { type: "step", requestId: "req_1", seq: 1, step }],
  ["ChatEvent", true, { type: "delta", requestId: "req_1", seq: 2, message_id: "msg_2", text: "这是" }],
  ["ChatEvent", true, { ...done, seq: 3 }],
  ["ChatEvent", true, { ...done, seq: 3, type: "error", code: 429, message: "rate limited", data: { steps: [], retry_after_ms: 1000 } }],
  ["ChatEvent", false, { type: "delta", requestId: "req_1", message_id: "msg_2", text: "no seq" }],
  ["ChatEvent", false, { type: "step", requestId: "req_1", seq: 1, step: { ...step, tool_type: "Shell" } }],
  ["ChatEvent", false, { type: "step", requestId: "req_1", seq: 1, step: { ...step, tool_status: "Running" } }],
  ["ChatEvent", false, { type: "step", requestId: "req_1", seq: 1, step: { ...step, tool_status: "Success", execution_duration: 1.5 } }],
  ["ChatEvent", false, { type: "delta", requestId: "req_1", seq: 2, message_id: "msg_2" }],
  ["ChatEvent", false, { ...done, seq: 3, data: { steps: [], usage: { prompt_tokens: -1, completion_tokens: 0, total_tokens: 0 } } }],
  ["ChatEvent", false, { type: "keepalive" }],
  ["Envelope", true, (({ type: _t, ...rest }) => rest)(done)],
  ["Envelope", false, { code: 400, message: "x", timestamp: "t", requestId: "r" }],
  ["Conversation", true, conversation],
  ["Conversation", false, { ...conversation, messages: [{ ...conversation.messages[1], status: "running" }] }],
  ["Conversation", false, { ...conversation, messages: [{ ...conversation.messages[0], content: [{ type: "text", text: "a" }] }] }],
  ["ChatListPage", true, chatPage],
  ["ChatListPage", true, { chats: [], next_cursor: "c_2" }],
  ["ChatListPage", false, { chats: [{ ...chatPage.chats[0], messages: 1.5 }], next_cursor: null }],
  ["ChatListPage", false, { chats: [] }],
];
const zod = { ChatRequest, ChatEvent, Envelope, Conversation: ConversationView, ChatListPage };

describe("schema/chatapi.schema.json", () => {
  it("defines the request, every event and the envelope, and every $ref resolves", () => {
    const defs = Object.keys(committed.$defs);
    for (const name of ["ChatRequest", "QueryMessage", "ChatEvent", "StepEvent", "DeltaEvent", "DoneEvent", "ErrorEvent", "Envelope", "Step", "Usage", "Conversation", "StoredMessage", "ChatListPage"]) {
      expect(defs).toContain(name);
    }
    const refs = JSON.stringify(committed).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(defs).toContain(ref.replace(/^"\$ref":"#\/\$defs\//, "").replace(/"$/, ""));
    expect(committed.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it.each(cases.map((c, i) => [i, ...c] as const))("case %i: a %s is %s per zod and per the JSON Schema alike", (_, def, valid, value) => {
    expect(zod[def].safeParse(value).success).toBe(valid);
    const errors = schemaErrors(def, value);
    expect(errors.length === 0, errors.join("\n")).toBe(valid);
  });

  it("describes events and requests exactly: a key the API does not name is an error", () => {
    expect(schemaErrors("ChatEvent", { type: "delta", requestId: "r", seq: 1, message_id: "m", text: "a", extra: 1 })).not.toHaveLength(0);
    // Requests, like the server (a 400 naming the field), refuse keys they do not know.
    expect(schemaErrors("ChatRequest", { ...request, temperature: 0.2 })).not.toHaveLength(0);
    expect(ChatRequest.safeParse({ ...request, temperature: 0.2 }).success).toBe(false);
  });
});

describe("GET /api/schema", () => {
  it("serves the committed schema as JSON", async () => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request("http://chatapi.test/api/schema"), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/(schema\+)?json/);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(await res.json()).toEqual(committed);
  });
});
