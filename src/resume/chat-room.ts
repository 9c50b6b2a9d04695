/**
 * `ChatRoom`: the Durable Object (SQLite-backed) in which resumable chats run, called by the
 * Worker's routes (src/resume/room.ts) through typed RPC methods. One object per `chat_id`;
 * inside it, each caller's key (its fingerprint, or `anonymous`) has a chat of its own, so no key
 * reaches another's chat.
 *
 * A run goes on when its client leaves. Its events live in memory for the readers (EventLog) and
 * are kept in storage (EventStore), at most 2 seconds behind; `RESUME_TTL_S` after the terminal
 * event an alarm deletes them (a run cut off so early that nothing was kept is no run: `204`).
 * An alarm is set from the run's start, so a run cut off by a restart (a deploy) is ended with a
 * `503` "interrupted" error event after the events kept, and deleted in time, whether or not
 * anyone reads it. Tool calls that need approval wait in the Approvals; a conversation kept by
 * the service (`history: "server"`) lives beside the runs (src/conversations).
 */
import { DurableObject } from "cloudflare:workers";
import type { ApprovalDecision } from "../chat/approvals";
import type { RunSink } from "../chat/run-result";
import { startChat } from "../chat/start-chat";
import { readConfig, type Config } from "../config";
import { Conversations } from "../conversations/conversation";
import { runLogFields } from "../log/run-log";
import type { RunEvent } from "../schema/events";
import { EventWriter } from "../stream/event-writer";
import { ENCODERS } from "../stream/encoders";
import { isStreamed, type StreamFormat } from "../stream/formats";
import { pushTerminal, settle } from "../stream/respond";
import { uiEncoder } from "../ui/ui-encoder";
import { Approvals } from "./approval-gate";
import { EventLog, interruptedEvent } from "./event-log";
import { EventStore, FLUSH_MS, storageFailed, stored } from "./event-store";
import { expiresAt, stopRun, type Live } from "./live-run";
import { RoomTable } from "./room-table";
import { envelopeAnswer, type Caller, type RoomAnswer, type RoomRun } from "./room-protocol";

export class ChatRoom extends DurableObject<Env> {
  readonly #table: RoomTable;
  readonly #store: EventStore;
  /** Per scope: the latest run's log, while this object is in memory. */
  readonly #live = new Map<string, Live>();
  readonly #approvals = new Approvals(() => void this.#armAlarm());
  readonly #conversations: Conversations;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#table = new RoomTable(ctx.storage.sql);
    this.#store = new EventStore(this.#table);
    this.#conversations = new Conversations(this.#table, env, (promise) => ctx.waitUntil(promise));
  }

  /** Starts the chat's next run: its stream from the first event, or (JSON) its envelope at the end; `409` while one runs. */
  async run({ scope, requestId, chat, format, approvals, regenerate }: RoomRun): Promise<RoomAnswer> {
    const current = this.#open(scope);
    if (current && !current.log.terminated) {
      return envelopeAnswer(409, "This chat already has a run going: follow it with GET /api/chat/{chat_id}/stream, or stop it with POST /api/chat/{chat_id}/stop", requestId);
    }
    const config = readConfig(this.env);
    const turn = chat.request.history === "server" ? this.#conversations.begin(scope, chat.request.chat_id!, chat, requestId, regenerate) : undefined;
    if (typeof turn === "string") return envelopeAnswer(400, turn, requestId);
    if (turn) chat = { ...chat, history: turn.history };
    // Taken before anything is awaited: a second run meanwhile is a 409.
    const live: Live = { log: new EventLog(requestId), flushed: 0, parts: 0, abort: new AbortController(), approvals, pauseOf: new Map(), turn };
    this.#live.set(scope, live);
    // The previous run goes; an alarm from now on ends and deletes this one whatever becomes of this instance.
    stored(requestId, () => this.#store.delete(scope));
    void this.#armAlarm();
    const sink: RunSink = {
      emit: (event) => this.#append(scope, live, event),
      ready: () => undefined,
      signal: live.abort!.signal,
      hold: () => live.log.hold(),
      release: () => live.log.release(),
    };
    const gate = this.#approvals.gate(scope, live.log, live.pauseOf);
    const start = startChat(config, chat, (promise) => this.ctx.waitUntil(promise), gate);
    live.finished = settle(start, sink, requestId).then(async (result) => {
      // A kept conversation's turn is stored (the answer, the list entry) before its terminal
      // event goes out: a client that has `done` finds it in the messages and the list.
      await turn?.finish(result).catch((err) => storageFailed(requestId, err));
      const final = pushTerminal(result, (event) => this.#append(scope, live, event), requestId);
      console.log(JSON.stringify({ ...runLogFields(final), msg: "resumable run", requestId, key: scope }));
      return final;
    });
    this.ctx.waitUntil(live.finished);
    if (!isStreamed(format)) {
      const result = await live.finished;
      return { kind: "envelope", envelope: result.envelope, headers: result.headers };
    }
    return this.#reader(live, format, 0, config);
  }

  /** The latest run's events after `after`, then live ones; nothing (`none`) when there is no run, or `runningOnly` and it ended. */
  stream({ scope, requestId }: Caller, format: StreamFormat, after: number, runningOnly = false): RoomAnswer {
    const live = this.#open(scope);
    if (!live) return this.#store.hasOtherScopes(scope) ? envelopeAnswer(404, "No such chat for this key", requestId) : { kind: "none" };
    if (runningOnly && live.log.terminated) return { kind: "none" };
    return this.#reader(live, format, after, readConfig(this.env));
  }

  async stop({ scope, requestId }: Caller): Promise<RoomAnswer> {
    const live = this.#open(scope);
    if (!live || live.log.terminated || !live.abort) return envelopeAnswer(404, "This chat has no run going", requestId);
    const result = await stopRun(live);
    return envelopeAnswer(200, "Stopped", requestId, result?.envelope.data);
  }

  approve({ scope, requestId }: Caller, approvalId: string, decision: ApprovalDecision): RoomAnswer {
    if (!this.#approvals.answer(scope, approvalId, decision)) return envelopeAnswer(404, "No tool call of this chat waits for that approval (unknown, or already answered)", requestId);
    return envelopeAnswer(200, decision.approve ? "Approved" : "Denied", requestId);
  }

  /**
   * The AI SDK dialect's next request after a pause: answers the approvals it carries that still
   * wait, and goes on from the pause (earliest of theirs) with a response that ends at the next
   * pause or at the end of the run. Approvals answered meanwhile (or timed out) are not answered
   * again: the response shows what became of them.
   */
  continue({ scope, requestId }: Caller, decisions: (ApprovalDecision & { approval_id: string })[]): RoomAnswer {
    const live = this.#open(scope);
    const pauses = live ? decisions.map((d) => live.pauseOf.get(d.approval_id)).filter((seq) => seq !== undefined) : [];
    if (!live || !pauses.length) return envelopeAnswer(404, "No tool call of this chat waits for those approvals (unknown, or from an earlier run)", requestId);
    for (const { approval_id: approvalId, approve, reason } of decisions) this.#approvals.answer(scope, approvalId, { approve, ...(reason ? { reason } : {}) });
    return this.#reader(live, "ui", Math.min(...pauses), readConfig(this.env));
  }

  /** The conversation kept for this key (`GET /api/chat/{chat_id}/messages`), as the contract shows it or as the AI SDK's UI messages. */
  messages({ scope, requestId }: Caller, chatId: string, as: "contract" | "ui"): RoomAnswer {
    const body = as === "ui" ? this.#conversations.uiMessages(scope, chatId) : this.#conversations.view(scope, chatId);
    return body ? { kind: "json", body } : envelopeAnswer(404, "This chat keeps no conversation for this key", requestId);
  }

  /** `DELETE /api/chat/{chat_id}`: stops a running run, then deletes its events, the conversation, its files and its list entry. */
  async remove({ scope, requestId }: Caller, chatId: string): Promise<RoomAnswer> {
    const live = this.#live.get(scope);
    let had = live !== undefined || this.#store.has(scope);
    if (live) {
      live.deleted = true;
      if (live.turn) live.turn.deleted = true;
      if (live.abort && !live.log.terminated) await stopRun(live);
      if (live.timer !== undefined) clearTimeout(live.timer);
    }
    stored(requestId, () => this.#store.delete(scope));
    this.#live.delete(scope);
    if (await this.#conversations.remove(scope, chatId)) had = true;
    await this.#armAlarm();
    return had ? { kind: "none" } : envelopeAnswer(404, "This chat keeps nothing for this key", requestId);
  }

  /** Ends the runs nobody runs any more (a restart), deletes the chats whose time is up, ends the waits whose time is up. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#approvals.expire(now);
    // After a restart, what storage keeps is read back (a run nobody runs is ended as interrupted).
    for (const scope of this.#store.scopes()) this.#open(scope);
    await this.#conversations.expire(now);
    for (const [scope, live] of this.#live) {
      const expires = expiresAt(live, readConfig(this.env).resumeTtlS);
      if (expires !== undefined && expires <= now) {
        stored(live.log.requestId, () => this.#store.delete(scope));
        this.#live.delete(scope);
      }
    }
    await this.#armAlarm();
  }

  #reader(live: Live, format: StreamFormat, after: number, config: Config): RoomAnswer {
    const { log } = live;
    const encoder = format === "ui" ? uiEncoder({ approvals: live.approvals, seen: log.events.slice(0, after) }) : ENCODERS[format]();
    // No disconnect probes: a resumable run goes on without its reader, which keep-alives let go of.
    const writer = new EventWriter(encoder, { ...config.stream, probeMs: 0, requestId: log.requestId, onCancel: () => {} });
    log.follow(writer, after);
    return { kind: "stream", format, requestId: log.requestId, body: writer.stream };
  }

  /** Appends an event; storage follows within FLUSH_MS, and at once (with the alarm set for its expiry) after the terminal event. */
  #append(scope: string, live: Live, event: RunEvent): void {
    live.log.append(event);
    if (!live.log.terminated) return void (live.timer ??= setTimeout(() => this.#flush(scope, live), FLUSH_MS));
    this.#flush(scope, live);
    void this.#armAlarm();
  }

  #flush(scope: string, live: Live): void {
    if (live.timer !== undefined) clearTimeout(live.timer);
    live.timer = undefined;
    const { events } = live.log;
    if (live.flushed >= events.length || live.deleted) return;
    const from = live.flushed;
    live.flushed = events.length;
    stored(live.log.requestId, () => (live.parts = this.#store.append(scope, live.parts, events.slice(from))));
  }

  /**
   * The next alarm: the first expiry, a wait's deadline, or a check of a running run (which ends
   * it, should this instance be gone by then); with nothing kept, the object's storage is freed.
   */
  async #armAlarm(): Promise<void> {
    const now = Date.now();
    let next = this.#approvals.nextAlarm(now);
    const conversation = this.#conversations.nextExpiry();
    if (conversation !== undefined) next = Math.min(next ?? Infinity, conversation);
    const checkMs = Math.max(1, readConfig(this.env).resumeTtlS) * 1000;
    for (const live of this.#live.values()) next = Math.min(next ?? Infinity, expiresAt(live, checkMs / 1000) ?? now + checkMs);
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
    else if (this.#table.isEmpty()) {
      await this.ctx.storage.deleteAll();
      this.#table.dropped();
    }
  }

  /** The scope's latest run: live in memory, or read back from storage (ended as interrupted if nobody runs it any more). */
  #open(scope: string): Live | undefined {
    const live = this.#live.get(scope);
    if (live) return live;
    const { events, parts } = this.#store.events(scope);
    if (!events.length) return undefined;
    const requestId = events[0].requestId;
    const restored: Live = { log: new EventLog(requestId, events), flushed: events.length, parts, approvals: "sdk", pauseOf: new Map() };
    this.#live.set(scope, restored);
    if (!restored.log.terminated) {
      this.#append(scope, restored, interruptedEvent(events, requestId));
      console.log(JSON.stringify({ level: "warn", msg: "resumable run interrupted", requestId, key: scope, events_kept: events.length }));
    }
    return restored;
  }
}
