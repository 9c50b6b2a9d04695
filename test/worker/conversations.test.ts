/**
 * Conversations kept by the service (`history: "server"`): each turn sends only what is new and the
 * model gets the stored conversation first, images byte for byte; the messages, files and list
 * endpoints; edit with `replace_from`; how stopped, failed and refused turns are kept; DELETE;
 * another key's view (404 everywhere, an empty list); the AI SDK's one-message requests and UI
 * messages. The fake Azure records what the model was sent.
 */
import { describe, expect, it } from "vitest";
import { fakeRequests, newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import { PNG_1X1_BASE64 } from "../../tools/png";
import { fakeUrl, fetchApp, ndjson, post, terminal } from "./helpers";

const KEY_A = "test-api-key-3d9f1c2ab84e";
const KEY_B = "test-api-key-second-77c0";
const auth = (key = KEY_A) => ({ authorization: `Bearer ${key}` });
const PNG_URL = `data:image/png;base64,${PNG_1X1_BASE64}`;

const chatId = () => `conv_${crypto.randomUUID().slice(0, 8)}`;
const userId = () => `user_${crypto.randomUUID().slice(0, 8)}`;

function turn(id: string, user: string, content: unknown, extra: Record<string, unknown> = {}, key = KEY_A) {
  return post({ user_id: user, chat_id: id, history: "server", query: [{ role: "user", content }], ...extra }, { headers: auth(key) });
}

const get = (path: string, key = KEY_A) => fetchApp(new Request(`http://chatapi.test${path}`, { headers: auth(key) }));
const del = (path: string, key = KEY_A) => fetchApp(new Request(`http://chatapi.test${path}`, { method: "DELETE", headers: auth(key) }));

interface View {
  chat_id: string;
  user_id: string;
  title: string;
  messages: { id: string; role: string; content: { type: string; text?: string; image_url?: string }[]; status: string | null; steps: unknown[] }[];
}

/** What the fake Azure was sent for the request whose text carries `nonce`. */
async function sentFor(nonce: string) {
  const [record] = await waitForFake(fakeUrl(), nonce, (r) => r.length >= 1);
  return JSON.parse(record.body) as { messages: { role: string; content: unknown }[] };
}

describe("a conversation kept by the service", () => {
  it("sends the model the stored conversation before the new message, and keeps every turn", async () => {
    const id = chatId();
    const user = userId();
    const first = await ndjson(await turn(id, user, "first question"));
    expect(terminal(first)).toMatchObject({ type: "done", data: { answer: "echo: first question" } });
    const nonce = newNonce();
    const second = await ndjson(await turn(id, user, `second question ${nonce}`));
    expect(terminal(second).type).toBe("done");
    const sent = await sentFor(nonce);
    expect(sent.messages.map((m) => [m.role, typeof m.content === "string" ? m.content : JSON.stringify(m.content)])).toEqual([
      ["user", JSON.stringify([{ type: "text", text: "first question" }])],
      ["assistant", "echo: first question"],
      ["user", `second question ${nonce}`],
    ]);
    const parser = terminal(second).data.steps.find((s) => s.tool_type === "InputParser")!;
    expect(JSON.parse(parser.observation!)).toMatchObject({ query_items: 1, history_messages: 2, history_left_out: 0 });

    const view = await (await get(`/api/chat/${id}/messages`)).json<View>();
    expect(view).toMatchObject({ chat_id: id, user_id: user, title: "first question" });
    expect(view.messages.map((m) => [m.role, m.status, m.content.map((p) => p.text).join("")])).toEqual([
      ["user", null, "first question"],
      ["assistant", "done", "echo: first question"],
      ["user", null, `second question ${nonce}`],
      ["assistant", "done", `echo: second question ${nonce}`],
    ]);
    expect(view.messages[1].steps.length).toBeGreaterThan(0);
  });

  it("stores an image once and sends it again byte for byte; GET …/files/{id} gives its bytes", async () => {
    const id = chatId();
    const user = userId();
    await ndjson(await turn(id, user, [{ type: "input_text", text: "what is this" }, { type: "input_image", image_url: PNG_URL, detail: "low" }]));
    const nonce = newNonce();
    await ndjson(await turn(id, user, `and now ${nonce}`));
    const sent = await sentFor(nonce);
    expect(sent.messages[0]).toEqual({ role: "user", content: [{ type: "text", text: "what is this" }, { type: "image_url", image_url: { url: PNG_URL, detail: "low" } }] });

    const view = await (await get(`/api/chat/${id}/messages`)).json<View>();
    const image = view.messages[0].content[1];
    expect(image).toMatchObject({ type: "input_image", image_url: expect.stringMatching(new RegExp(`^/api/chat/${id}/files/file_[0-9a-f]{12}$`)) });
    const file = await get(image.image_url!);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(Uint8Array.from(atob(PNG_1X1_BASE64), (c) => c.charCodeAt(0)));
    // Another key cannot read it.
    expect((await get(image.image_url!, KEY_B)).status).toBe(404);
  });

  it("lists a user's chats newest first, paged by cursor; another key's list is empty", async () => {
    const user = userId();
    const ids = [chatId(), chatId(), chatId()];
    for (const id of ids) await ndjson(await turn(id, user, `hello from ${id}`));
    const first = await (await get(`/api/chats?user_id=${user}&limit=2`)).json<{ chats: { chat_id: string; title: string; messages: number; updated_at: string }[]; next_cursor: string | null }>();
    expect(first.chats.map((c) => c.chat_id)).toEqual([ids[2], ids[1]]);
    expect(first.chats[0]).toMatchObject({ title: `hello from ${ids[2]}`, messages: 2 });
    expect(new Date(first.chats[0].updated_at).toISOString()).toBe(first.chats[0].updated_at);
    const second = await (await get(`/api/chats?user_id=${user}&limit=2&cursor=${first.next_cursor}`)).json<{ chats: { chat_id: string }[]; next_cursor: string | null }>();
    expect(second).toEqual({ chats: [expect.objectContaining({ chat_id: ids[0] })], next_cursor: null });
    expect(await (await get(`/api/chats?user_id=${user}`, KEY_B)).json()).toEqual({ chats: [], next_cursor: null });
    expect((await get(`/api/chats`)).status).toBe(400);
    expect((await get(`/api/chats?user_id=${user}&cursor=nonsense`)).status).toBe(400);
  });

  it("replaces from a stored user message (edit): it and what followed are dropped before the new one", async () => {
    const id = chatId();
    const user = userId();
    await ndjson(await turn(id, user, "one"));
    await ndjson(await turn(id, user, "two"));
    const before = await (await get(`/api/chat/${id}/messages`)).json<View>();
    const nonce = newNonce();
    await ndjson(await turn(id, user, `two, edited ${nonce}`, { replace_from: before.messages[2].id }));
    expect((await sentFor(nonce)).messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    const after = await (await get(`/api/chat/${id}/messages`)).json<View>();
    expect(after.messages.map((m) => m.content.map((p) => p.text).join(""))).toEqual(["one", "echo: one", `two, edited ${nonce}`, `echo: two, edited ${nonce}`]);
    const bad = await turn(id, user, "x", { replace_from: "msg_nosuch" });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ message: string }>()).message).toMatch(/^replace_from: /);
  });

  it("keeps a stopped turn's answer so far, a failed turn's user message without an answer, and nothing of a refused one", async () => {
    const id = chatId();
    const user = userId();
    const nonce = newNonce();
    const running = await turn(id, user, `[[fake:chunks n=400 delay=20]] ${nonce}`);
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1);
    const refused = await turn(id, user, "while it runs");
    expect(refused.status).toBe(409);
    const reader = running.body!.getReader();
    let seen = "";
    while (!seen.includes('"type":"delta"')) seen += new TextDecoder().decode((await reader.read()).value);
    expect((await fetchApp(new Request(`http://chatapi.test/api/chat/${id}/stop`, { method: "POST", headers: auth() }))).status).toBe(200);
    await reader.cancel();
    await ndjson(await turn(id, user, "[[fake:error status=400]] fail please"));
    const view = await (await get(`/api/chat/${id}/messages`)).json<View>();
    expect(view.messages.map((m) => [m.role, m.status])).toEqual([
      ["user", null],
      ["assistant", "stopped"],
      ["user", null],
      ["assistant", "error"],
    ]);
    expect(view.messages[1].content[0].text).toMatch(/^w0 /);
    expect(view.messages[3].content).toEqual([]);
    expect(JSON.stringify(view)).not.toContain("while it runs");
  });

  it("is another key's 404 everywhere, and not readable without history", async () => {
    const id = chatId();
    await ndjson(await turn(id, userId(), "mine"));
    expect((await get(`/api/chat/${id}/messages`, KEY_B)).status).toBe(404);
    expect((await get(`/api/ui/chat/${id}/messages`, KEY_B)).status).toBe(404);
    expect((await del(`/api/chat/${id}`, KEY_B)).status).toBe(404);
    expect((await get(`/api/chat/${id}/messages`)).status).toBe(200);
    const plain = chatId();
    await ndjson(await post({ user_id: "u", chat_id: plain, query: [{ role: "user", content: "no history" }] }, { headers: auth() }));
    expect((await get(`/api/chat/${plain}/messages`)).status).toBe(404);
    const without = await post({ user_id: "u", history: "server", query: [{ role: "user", content: "x" }] }, { headers: auth() });
    expect(without.status).toBe(400);
    expect((await without.json<{ message: string }>()).message).toMatch(/^history: /);
  });

  it("deletes on DELETE: messages, files, the run's events and the list entry; 204, then 404", async () => {
    const id = chatId();
    const user = userId();
    await ndjson(await turn(id, user, [{ type: "input_text", text: "bye" }, { type: "input_image", image_url: PNG_URL }]));
    const view = await (await get(`/api/chat/${id}/messages`)).json<View>();
    const file = view.messages[0].content[1].image_url!;
    const res = await del(`/api/chat/${id}`);
    expect(res.status).toBe(204);
    expect((await get(`/api/chat/${id}/messages`)).status).toBe(404);
    expect((await get(file)).status).toBe(404);
    expect((await get(`/api/chat/${id}/stream`)).status).toBe(204);
    expect((await (await get(`/api/chats?user_id=${user}`)).json<{ chats: unknown[] }>()).chats).toEqual([]);
    expect((await del(`/api/chat/${id}`)).status).toBe(404);
  });

  it("stops a running turn when deleted, and keeps nothing of it", async () => {
    const id = chatId();
    const user = userId();
    const nonce = newNonce();
    const running = await turn(id, user, `[[fake:chunks n=400 delay=20]] ${nonce}`);
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1);
    expect((await del(`/api/chat/${id}`)).status).toBe(204);
    const events = await ndjson(running);
    expect(terminal(events)).toMatchObject({ type: "error", code: 499 });
    expect((await get(`/api/chat/${id}/messages`)).status).toBe(404);
    expect((await (await get(`/api/chats?user_id=${user}`)).json<{ chats: unknown[] }>()).chats).toEqual([]);
    expect((await fakeRequests(fakeUrl(), nonce))[0].closedByClientAt).not.toBeNull();
  });
});

describe("the AI SDK and a conversation kept by the service", () => {
  const uiPost = (body: unknown) =>
    fetchApp(new Request("http://chatapi.test/api/ui/chat", { method: "POST", headers: { "content-type": "application/json", ...auth() }, body: JSON.stringify(body) }));

  it("takes one new `message` per request, and gives the conversation back as UI messages", async () => {
    const id = chatId();
    const first = await uiPost({ id, message: { id: "ui-m1", role: "user", parts: [{ type: "text", text: "hi there" }] }, trigger: "submit-message" });
    expect(first.status).toBe(200);
    await first.text();
    const nonce = newNonce();
    const second = await uiPost({ id, message: { id: "ui-m2", role: "user", parts: [{ type: "text", text: `more ${nonce}` }] }, trigger: "submit-message" });
    await second.text();
    expect((await sentFor(nonce)).messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    const messages = await (await get(`/api/ui/chat/${id}/messages`)).json<{ id: string; role: string; parts: { type: string; text?: string }[] }[]>();
    expect(messages.map((m) => [m.id, m.role])).toEqual([
      ["ui-m1", "user"],
      [expect.stringMatching(/^req_/), "assistant"],
      ["ui-m2", "user"],
      [expect.stringMatching(/^req_/), "assistant"],
    ]);
    expect(messages[1].parts.filter((p) => p.type === "text").map((p) => p.text)).toEqual(["echo: hi there"]);
    expect(messages[1].parts.some((p) => p.type === "data-step")).toBe(true);

    // Regenerate the last answer: the same message again, replacing from it.
    const again = newNonce();
    const regen = await uiPost({ id, message: { id: "ui-m2", role: "user", parts: [{ type: "text", text: `more ${again}` }] }, trigger: "regenerate-message", messageId: messages[3].id });
    await regen.text();
    expect((await sentFor(again)).messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    const after = await (await get(`/api/ui/chat/${id}/messages`)).json<{ id: string }[]>();
    expect(after).toHaveLength(4);
    expect(after[3].id).not.toBe(messages[3].id);
  });
});
