/**
 * Resumable chats (`chat_id`): the run lives in the ChatRoom Durable Object, outlives its client,
 * and is read back after `?after=N` / `Last-Event-ID`, by any number of readers; one run at a
 * time (409); stop (499); scoped to the key that made it.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RUN_PARTS } from "../../src/resume/room-table";
import type { ChatEvent } from "../../src/schema/events";
import { newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import { fakeUrl, fetchApp, ndjson, post, terminal, userText } from "./helpers";

const KEY_A = "test-api-key-3d9f1c2ab84e";
const KEY_B = "test-api-key-second-77c0";

function chatId() {
  return `chat_${crypto.randomUUID().slice(0, 8)}`;
}

function follow(id: string, options: { after?: number; lastEventId?: number; accept?: string; key?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.accept) headers.accept = options.accept;
  if (options.lastEventId !== undefined) headers["last-event-id"] = String(options.lastEventId);
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const query = options.after !== undefined ? `?after=${options.after}` : "";
  return fetchApp(new Request(`http://chatapi.test/api/chat/${id}/stream${query}`, { headers }));
}

function stop(id: string, key?: string) {
  return fetchApp(new Request(`http://chatapi.test/api/chat/${id}/stop`, { method: "POST", headers: key ? { authorization: `Bearer ${key}` } : {} }));
}

const seqs = (events: ChatEvent[]) => events.map((e) => e.seq);

describe("a resumable chat", () => {
  it("streams like a plain one, and replays the whole run after it ended", async () => {
    const id = chatId();
    const live = await ndjson(await post(userText("hello resumable", { chat_id: id })));
    expect(terminal(live)).toMatchObject({ type: "done", data: { answer: "echo: hello resumable" } });
    expect(seqs(live)).toEqual(live.map((_, i) => i + 1));
    const replay = await ndjson(await follow(id));
    expect(replay).toEqual(live);
  });

  it("goes on when its client leaves; a reader resumes after ?after=N and gets every event exactly once", async () => {
    const id = chatId();
    const res = await post(userText("[[fake:chunks n=30 delay=20]]", { chat_id: id }));
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const had = first.trimEnd().split("\n").map((l) => JSON.parse(l) as ChatEvent);
    await reader.cancel();
    const lastSeq = had.at(-1)!.seq;
    const rest = await ndjson(await follow(id, { after: lastSeq }));
    expect(rest[0].seq).toBe(lastSeq + 1);
    const all = [...had, ...rest];
    expect(seqs(all)).toEqual(all.map((_, i) => i + 1));
    expect(terminal(rest)).toMatchObject({ type: "done" });
    expect(terminal(rest).data.answer).toBe(all.map((e) => (e.type === "delta" ? e.text : "")).join(""));
  });

  it("resumes SSE after Last-Event-ID", async () => {
    const id = chatId();
    const all = await ndjson(await post(userText("[[fake:chunks n=5]]", { chat_id: id })));
    const res = await follow(id, { accept: "text/event-stream", lastEventId: 3 });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const ids = [...(await res.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(all.slice(3).map((e) => e.seq));
  });

  it("serves two readers of one live run at once, each every event once, in order", async () => {
    const id = chatId();
    const first = post(userText("[[fake:chunks n=20 delay=15]]", { chat_id: id }));
    const res = await first;
    const [a, b] = await Promise.all([ndjson(res), ndjson(await follow(id))]);
    expect(seqs(a)).toEqual(a.map((_, i) => i + 1));
    expect(b).toEqual(a);
  });

  it("refuses a second POST while a run is going with 409, and accepts the next run after it ended", async () => {
    const id = chatId();
    const running = await post(userText("[[fake:chunks n=10 delay=40]]", { chat_id: id }));
    const second = await post(userText("again", { chat_id: id }));
    expect(second.status).toBe(409);
    expect((await second.json<{ code: number; message: string }>()).code).toBe(409);
    await ndjson(running);
    const next = await ndjson(await post(userText("next run", { chat_id: id })));
    expect(terminal(next).data.answer).toBe("echo: next run");
    // Only the latest run is readable.
    expect(terminal(await ndjson(await follow(id))).data.answer).toBe("echo: next run");
  });

  it("stops on POST /stop: the upstream request is closed within a second and every reader ends with a 499 error event", async () => {
    const id = chatId();
    const nonce = newNonce();
    const res = await post(userText(`[[fake:chunks n=400 delay=20]] ${nonce}`, { chat_id: id }));
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1);
    const other = follow(id);
    const stopped = await stop(id);
    const stoppedAt = Date.now();
    expect(stopped.status).toBe(200);
    const body = await stopped.json<{ code: number; data: { steps: unknown[] } }>();
    expect(body.code).toBe(200);
    expect(body.data.steps.length).toBeGreaterThan(0);
    const [record] = await waitForFake(fakeUrl(), nonce, (r) => r[0]?.closedByClientAt !== null);
    expect(record.closedByClientAt! - stoppedAt).toBeLessThan(1000);
    for (const events of [await ndjson(res), await ndjson(await other)]) {
      const end = terminal(events);
      expect(end).toMatchObject({ type: "error", code: 499 });
      expect(end.data.answer ?? "").toBe(events.map((e) => (e.type === "delta" ? e.text : "")).join(""));
    }
    expect((await stop(id)).status).toBe(404);
  });

  it("belongs to the key that created it: another key gets 404, and its own POST starts a separate chat", async () => {
    const id = chatId();
    const headersA = { authorization: `Bearer ${KEY_A}` };
    const mine = await ndjson(await post(userText("mine", { chat_id: id }), { headers: headersA }));
    expect(terminal(mine).data.answer).toBe("echo: mine");
    expect((await follow(id, { key: KEY_B })).status).toBe(404);
    expect((await follow(id)).status).toBe(404); // anonymous: not the key that made it
    expect((await stop(id, KEY_B)).status).toBe(404);
    const theirs = await ndjson(await post(userText("theirs", { chat_id: id }), { headers: { authorization: `Bearer ${KEY_B}` } }));
    expect(terminal(theirs).data.answer).toBe("echo: theirs");
    expect(terminal(await ndjson(await follow(id, { key: KEY_A }))).data.answer).toBe("echo: mine");
  });

  it("tells another key only that the chat_id is taken (404, as for stop): nothing of the chat, and 204 for an id nobody uses", async () => {
    // The documented decision (docs/resumable.md, "Scope"): the contract's 404 for another key's
    // stream lets that key learn an id is in use, nothing more; chat ids should be unguessable.
    const id = chatId();
    const mine = await ndjson(await post(userText("private words", { chat_id: id }), { headers: { authorization: `Bearer ${KEY_A}` } }));
    const theirs = await follow(id, { key: KEY_B });
    expect(theirs.status).toBe(404);
    const body = await theirs.text();
    expect(body).not.toContain("private words");
    expect(body).not.toContain(terminal(mine).requestId);
    expect(JSON.parse(body)).toMatchObject({ code: 404, data: { steps: [] } });
    expect(theirs.headers.get("x-request-id")).not.toBe(terminal(mine).requestId);
    expect((await follow(chatId(), { key: KEY_B })).status).toBe(204);
  });

  it("answers 204 for a chat nobody started, and 400 naming chat_id for an invalid one", async () => {
    expect((await follow(chatId())).status).toBe(204);
    const bad = await follow("no spaces!");
    expect(bad.status).toBe(400);
    expect((await bad.json<{ message: string }>()).message).toMatch(/^chat_id/);
    const badPost = await post(userText("x", { chat_id: "a/b" }));
    expect(badPost.status).toBe(400);
    expect((await badPost.json<{ message: string }>()).message).toMatch(/^chat_id/);
    const badAfter = await follow(chatId(), { after: -1 as number });
    expect(badAfter.status).toBe(400);
  });

  it("answers JSON with the envelope when asked, and the run is still readable", async () => {
    const id = chatId();
    const res = await post(userText("json please", { chat_id: id }), { accept: "application/json" });
    expect(res.status).toBe(200);
    expect((await res.json<{ data: { answer: string } }>()).data.answer).toBe("echo: json please");
    expect(terminal(await ndjson(await follow(id))).type).toBe("done");
  });

  it("ends a run cut off inside the service (its object restarted) with a 503 'interrupted' error event after what was kept", async () => {
    const id = chatId();
    const stub = env.CHAT_ROOMS.get(env.CHAT_ROOMS.idFromName(id));
    const kept = [
      { type: "step", requestId: "req_kept", step: { message_id: "msg_1", present_content: "开始", tool_type: "System", parameters: "{}", tool_status: "Start" } },
      { type: "delta", requestId: "req_kept", message_id: "msg_2", text: "half an answ" },
    ];
    // As storage is after a restart mid-run: events kept, no terminal event, nobody running it.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("CREATE TABLE IF NOT EXISTS room_rows (scope TEXT NOT NULL, n INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (scope, n)) WITHOUT ROWID");
      state.storage.sql.exec("INSERT INTO room_rows (scope, n, text) VALUES ('anonymous', ?, ?)", RUN_PARTS, kept.map((e) => JSON.stringify(e) + "\n").join(""));
    });
    const events = await ndjson(await follow(id));
    expect(events.slice(0, 2)).toEqual(kept.map((e, i) => ({ ...e, seq: i + 1 })));
    expect(terminal(events)).toMatchObject({ type: "error", code: 503, seq: 3, message: expect.stringMatching(/interrupted/) });
    expect(terminal(events).data.steps).toEqual([kept[0].step]);
  });

  it("keeps a 2,000-chunk answer in a few storage rows, not one per event", async () => {
    const id = chatId();
    const events = await ndjson(await post(userText("[[fake:chunks n=2000]]", { chat_id: id })));
    expect(events.length).toBeGreaterThan(2000);
    const rows = await runInDurableObject(env.CHAT_ROOMS.get(env.CHAT_ROOMS.idFromName(id)), (_i, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM room_rows WHERE n < 0").one().n,
    );
    expect(rows).toBeLessThanOrEqual(10);
  });
});
