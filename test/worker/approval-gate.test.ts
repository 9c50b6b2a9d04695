/**
 * Approvals inside the ChatRoom Durable Object (src/resume/approval-gate.ts), in workerd: a
 * resumable chat whose model calls server-everything's `echo`, a tool that needs approval, waits
 * for the answer (`POST …/approvals/{approval_id}`) with an alarm that keeps its object in memory;
 * the answer goes to the scope that asked; unanswered, the call is denied when its time is up;
 * stopping the run ends the wait. The object's env gets MCP_SERVERS as a deployment with that
 * setting would have it (runInDurableObject), and the Worker's requests carry the same. Then the
 * gate's own bookkeeping: each call's pause, the alarm it asks for, expiry and stops.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { Approvals } from "../../src/resume/approval-gate";
import { EventLog } from "../../src/resume/event-log";
import type { ChatEvent, RunEvent, Step } from "../../src/schema/events";
import { readNdjsonTimed } from "../../tools/ndjson";
import { fetchApp, ndjson, post, terminal, userText } from "./helpers";

const ECHO_ARGS = encodeURIComponent(JSON.stringify({ message: "hello from the model" }));
const KEY = "test-api-key-3d9f1c2ab84e";

const chatId = () => `gate_${crypto.randomUUID().slice(0, 12)}`;
const stubOf = (id: string) => env.CHAT_ROOMS.get(env.CHAT_ROOMS.idFromName(id));

/** The settings of the room `id` and of the Worker's requests to it: server-everything, `echo` needs approval. */
async function withApprovals(id: string, extra: Partial<Env> = {}): Promise<Partial<Env>> {
  const vars = { MCP_SERVERS: JSON.stringify([{ label: "one", url: inject("everythingMcpUrl"), approval: ["echo"] }]), ...extra };
  await runInDurableObject(stubOf(id), (instance) => {
    const room = instance as unknown as { env: Env };
    room.env = { ...room.env, ...vars };
  });
  return vars;
}

/** Reads NDJSON events as they come, handing each to `onEvent` (which may answer an approval); keep-alives left out. */
async function read(res: Response, onEvent: (event: ChatEvent) => void | Promise<void> = () => {}): Promise<ChatEvent[]> {
  expect(res.status).toBe(200);
  const arrivals = await readNdjsonTimed<ChatEvent>(res.body!, { onEvent: (e) => (isPing(e) ? undefined : onEvent(e)) });
  return arrivals.map((a) => a.event).filter((e) => !isPing(e));
}

/** A keep-alive line (`{"type":"ping",…}`): not one of the run's events. */
const isPing = (event: ChatEvent) => (event as { type: string }).type === "ping";

function answer(id: string, approvalId: string, body: unknown, key?: string): Promise<Response> {
  return fetchApp(
    new Request(`http://chatapi.test/api/chat/${id}/approvals/${approvalId}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    }),
  );
}

/** The echo call's step, in its latest state. */
function echoStep(events: ChatEvent[]): Step {
  const steps = events.flatMap((e) => (e.type === "step" && e.step.tool_type === "MCP" && JSON.parse(e.step.parameters).tool === "echo" ? [e.step] : []));
  expect(steps.length).toBeGreaterThan(0);
  return steps.at(-1)!;
}

describe("the approval gate in its Durable Object", () => {
  it("holds the call until it is approved, with an alarm that keeps the object in memory meanwhile, then runs it", async () => {
    const id = chatId();
    const vars = await withApprovals(id);
    let alarm: number | null = null;
    let waitedAt = 0;
    const events = await read(await post(userText(`[[fake:tools name=echo args=${ECHO_ARGS}]]`, { chat_id: id }), { env: vars, lang: "en" }), async (e) => {
      if (e.type !== "approval_request") return;
      waitedAt = Date.now();
      alarm = await runInDurableObject(stubOf(id), (_instance, state) => state.storage.getAlarm());
      const res = await answer(id, e.approval_id, { approve: true });
      expect(res.status).toBe(200);
      expect((await res.json<{ message: string }>()).message).toBe("Approved");
    });
    const request = events.find((e) => e.type === "approval_request")!;
    expect(request).toMatchObject({ server: "one", tool: "echo", arguments: { message: "hello from the model" }, approval_id: expect.stringMatching(/^apr_[0-9a-f]{12}$/) });
    // At most 30 s away while a call waits (the default APPROVAL_TIMEOUT_MS is 5 minutes).
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(waitedAt + 30_000);
    expect(echoStep(events)).toMatchObject({ tool_status: "Success", observation: "Echo: hello from the model" });
    expect(JSON.parse(echoStep(events).parameters)).toMatchObject({ approval: "approved" });
    expect(terminal(events)).toMatchObject({ type: "done" });
    // Answered: no call waits for it any more.
    expect((await answer(id, (request as { approval_id: string }).approval_id, { approve: true })).status).toBe(404);
  });

  it("takes an answer only from the key that started the chat: another key's is a 404, and the wait goes on", async () => {
    const id = chatId();
    const vars = await withApprovals(id);
    const events = await read(await post(userText(`[[fake:tools name=echo args=${ECHO_ARGS}]]`, { chat_id: id }), { env: vars, lang: "en" }), async (e) => {
      if (e.type !== "approval_request") return;
      expect((await answer(id, e.approval_id, { approve: true }, KEY)).status).toBe(404);
      expect((await answer(id, e.approval_id, { approve: false, reason: "mine to say" })).status).toBe(200);
    });
    expect(echoStep(events)).toMatchObject({ tool_status: "Error", observation: "Not approved: mine to say" });
    expect(terminal(events)).toMatchObject({ type: "done" });
  });

  it("denies a call nobody answers once APPROVAL_TIMEOUT_MS is up, and the chat goes on", async () => {
    const id = chatId();
    const vars = await withApprovals(id, { APPROVAL_TIMEOUT_MS: "300" });
    const events = await read(await post(userText(`[[fake:tools name=echo args=${ECHO_ARGS}]]`, { chat_id: id }), { env: vars, lang: "en" }));
    expect(echoStep(events)).toMatchObject({ tool_status: "Error", observation: "Not approved: no answer in time" });
    expect(JSON.parse(echoStep(events).parameters)).toMatchObject({ approval: "timed_out" });
    expect(terminal(events)).toMatchObject({ type: "done" });
  });

  it("ends the wait when the run is stopped: the stop answers 200 and the call is never made", async () => {
    const id = chatId();
    const vars = await withApprovals(id);
    const events = await read(await post(userText(`[[fake:tools name=echo args=${ECHO_ARGS}]]`, { chat_id: id }), { env: vars, lang: "en" }), async (e) => {
      if (e.type !== "approval_request") return;
      const stop = await fetchApp(new Request(`http://chatapi.test/api/chat/${id}/stop`, { method: "POST" }));
      expect(stop.status).toBe(200);
      expect((await answer(id, e.approval_id, { approve: true })).status).toBe(404);
    });
    expect(echoStep(events).tool_status).not.toBe("Success");
    expect(terminal(events)).toMatchObject({ type: "error", code: 499 });
  });

  it("answers 404 in a room with no run, and keeps nothing there", async () => {
    const id = chatId();
    expect((await answer(id, "apr_0123456789ab", { approve: true })).status).toBe(404);
    expect(await runInDurableObject(stubOf(id), (_instance, state) => state.storage.getAlarm())).toBeNull();
  });
});

describe("the events kept while a call waits", () => {
  it("lets a reader that resumes after the approval_request read on from it once the call is answered", async () => {
    const id = chatId();
    const vars = await withApprovals(id);
    let resumed: Promise<ChatEvent[]> | undefined;
    const first = await read(await post(userText(`[[fake:tools name=echo args=${ECHO_ARGS}]]`, { chat_id: id }), { env: vars, lang: "en" }), async (e) => {
      if (e.type !== "approval_request") return;
      resumed = fetchApp(new Request(`http://chatapi.test/api/chat/${id}/stream?after=${e.seq}`)).then((res) => ndjson(res));
      expect((await answer(id, e.approval_id, { approve: true })).status).toBe(200);
    });
    const request = first.find((e) => e.type === "approval_request")!;
    const rest = (await resumed!).filter((e) => !isPing(e));
    expect(rest[0].seq).toBe(request.seq + 1);
    expect(rest).toEqual(first.slice(first.indexOf(request) + 1));
  });
});

describe("Approvals, the room's record of the calls that wait", () => {
  const step = (requestId = "req_gate"): RunEvent => ({ type: "delta", requestId, message_id: "msg_1", text: "." });

  it("records where the run paused for each waiting call of its scope, once; tells the room when a wait begins", async () => {
    let changed = 0;
    const approvals = new Approvals(() => changed++);
    const log = new EventLog("req_gate");
    const pauseOf = new Map<string, number>();
    const gate = approvals.gate("scope_a", log, pauseOf);
    const other = approvals.gate("scope_b", new EventLog("req_other"), new Map());
    const signal = new AbortController().signal;
    log.append(step());
    const first = gate.wait("apr_000000000001", 60_000, signal);
    void other.wait("apr_00000000000b", 60_000, signal);
    expect(changed).toBe(2);
    gate.idle!();
    log.append(step());
    const second = gate.wait("apr_000000000002", 60_000, signal);
    gate.idle!();
    expect([...pauseOf]).toEqual([["apr_000000000001", 1], ["apr_000000000002", 2]]);
    expect(approvals.answer("scope_a", "apr_00000000000b", { approve: true })).toBe(false);
    expect(approvals.answer("scope_a", "apr_000000000001", { approve: true })).toBe(true);
    expect(approvals.answer("scope_a", "apr_000000000002", { approve: false, reason: "no" })).toBe(true);
    expect(await first).toEqual({ approve: true });
    expect(await second).toEqual({ approve: false, reason: "no" });
    expect(approvals.answer("scope_b", "apr_00000000000b", { approve: true })).toBe(true);
  });

  it("asks for an alarm at the first deadline, at most 30 s away; expire() denies the waits whose time is up", async () => {
    const approvals = new Approvals(() => {});
    const gate = approvals.gate("s", new EventLog("req_gate"), new Map());
    const signal = new AbortController().signal;
    const now = Date.now();
    expect(approvals.nextAlarm(now)).toBeUndefined();
    const soon = gate.wait("apr_000000000001", 5_000, signal);
    const late = gate.wait("apr_000000000002", 600_000, signal);
    expect(approvals.nextAlarm(now)).toBeGreaterThanOrEqual(now + 5_000);
    expect(approvals.nextAlarm(now)).toBeLessThan(now + 30_000);
    approvals.expire(Date.now() + 10_000);
    expect(await soon).toEqual({ approve: false, timedOut: true });
    // The wait left is 10 minutes away: the alarm comes in 30 s, to keep the object in memory.
    expect(approvals.nextAlarm(now)).toBe(now + 30_000);
    expect(approvals.answer("s", "apr_000000000001", { approve: true })).toBe(false);
    expect(approvals.answer("s", "apr_000000000002", { approve: true })).toBe(true);
    expect(await late).toEqual({ approve: true });
    expect(approvals.nextAlarm(now)).toBeUndefined();
  });

  it("rejects a wait with the signal's reason when the run stops, and forgets it", async () => {
    const approvals = new Approvals(() => {});
    const stop = new AbortController();
    const wait = approvals.gate("s", new EventLog("req_gate"), new Map()).wait("apr_000000000001", 60_000, stop.signal);
    const reason = new Error("stopped");
    stop.abort(reason);
    await expect(wait).rejects.toBe(reason);
    expect(approvals.answer("s", "apr_000000000001", { approve: true })).toBe(false);
    expect(approvals.nextAlarm(Date.now())).toBeUndefined();
  });
});
