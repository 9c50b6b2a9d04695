/**
 * `ChatRoom`: the Durable Object (SQLite-backed) in which resumable chats run, called by the
 * Worker's routes (src/resume/room.ts) through typed RPC methods. One object per `chat_id`;
 * inside it, each caller's key (its fingerprint, or `anonymous`) has a chat of its own, so no key
 * reaches another's chat.
 *
 * A run goes on when its client leaves. Its events live in memory for the readers (EventLog) and
 * are kept in storage (EventStore), at most 2 seconds behind; `RESUME_TTL_S` after the terminal
 * event an alarm deletes them (a run cut off so early that nothing was kept is no run: `204`). An alarm is set from the run's start, so a run cut off by a restart
 * (a deploy) is ended with a `503` "interrupted" error event after the events kept, and deleted in
 * time, whether or not anyone reads it. Tool calls that need approval wait in the Approvals.
 */
import { DurableObject } from "cloudflare:workers";
import type { ApprovalDecision } from "../chat/approvals";
import type { RunResult, RunSink } from "../chat/run-result";
import { startChat } from "../chat/start-chat";
import { readConfig, type Config } from "../config";
import { envelope, RunAborted } from "../errors";
import { runLogFields } from "../log/run-log";
import type { RunEvent, RunStep } from "../schema/events";
import { EventWriter } from "../stream/event-writer";
import { ENCODERS } from "../stream/encoders";
import { isStreamed, type StreamFormat } from "../stream/formats";
import { pushTerminal, settle } from "../stream/respond";
import { uiEncoder, type UiApprovals } from "../ui/ui-encoder";
import { Approvals } from "./approval-gate";
import { EventLog } from "./event-log";
import { EventStore, FLUSH_MS } from "./event-store";
import type { Caller, RoomAnswer, RoomRun } from "./room-protocol";

/** How long `stop` waits for the run to wind down before answering. */
const STOP_WAIT_MS = 2_000;

interface Live {
  log: EventLog;
  /** Events kept in storage, and the number of the next part row. */
  flushed: number;
  parts: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Present while this instance runs it. */
  abort?: AbortController;
  finished?: Promise<RunResult>;
  /** How the AI SDK dialect's readers show approvals. */
  approvals: UiApprovals;
  /** Each approval's pause: the `seq` after which the run first waited for it. */
  pauseOf: Map<string, number>;
}

export class ChatRoom extends DurableObject<Env> {
  readonly #store: EventStore;
  /** Per scope: the latest run's log, while this object is in memory. */
  readonly #live = new Map<string, Live>();
  readonly #approvals = new Approvals(() => void this.#armAlarm());

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new EventStore(ctx.storage.sql);
  }

  /** Starts the chat's next run: its stream from the first event, or (JSON) its envelope at the end; `409` while one runs. */
  async run({ scope, requestId, chat, format, approvals }: RoomRun): Promise<RoomAnswer> {
    const current = this.#open(scope);
    if (current && !current.log.terminated) {
      return envelopeAnswer(409, "This chat already has a run going: follow it with GET /api/chat/{chat_id}/stream, or stop it with POST /api/chat/{chat_id}/stop", requestId);
    }
    const config = readConfig(this.env);
    // Taken before anything is awaited: a second run meanwhile is a 409.
    const live: Live = { log: new EventLog(requestId), flushed: 0, parts: 0, abort: new AbortController(), approvals, pauseOf: new Map() };
    this.#live.set(scope, live);
    // The previous run goes; an alarm from now on ends and deletes this one whatever becomes of this instance.
    this.#stored(requestId, () => this.#store.delete(scope));
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
    live.finished = settle(start, sink, requestId).then((result) => {
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
    if (!live) return this.#store.hasOtherScopes(scope) ? notFound(requestId) : { kind: "none" };
    if (runningOnly && live.log.terminated) return { kind: "none" };
    return this.#reader(live, format, after, readConfig(this.env));
  }

  async stop({ scope, requestId }: Caller): Promise<RoomAnswer> {
    const live = this.#open(scope);
    if (!live || live.log.terminated || !live.abort) return notFound(requestId, "This chat has no run going");
    live.abort.abort(new RunAborted("stopped"));
    const result = await Promise.race([live.finished!, new Promise<undefined>((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
    return { kind: "envelope", envelope: envelope(200, "Stopped", requestId, result?.envelope.data ?? { steps: [] }), headers: {} };
  }

  approve({ scope, requestId }: Caller, approvalId: string, decision: ApprovalDecision): RoomAnswer {
    if (!this.#approvals.answer(scope, approvalId, decision)) return notFound(requestId, "No tool call of this chat waits for that approval (unknown, or already answered)");
    return { kind: "envelope", envelope: envelope(200, decision.approve ? "Approved" : "Denied", requestId, { steps: [] }), headers: {} };
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
    if (!live || !pauses.length) return notFound(requestId, "No tool call of this chat waits for those approvals (unknown, or from an earlier run)");
    for (const { approval_id: approvalId, approve, reason } of decisions) this.#approvals.answer(scope, approvalId, { approve, ...(reason ? { reason } : {}) });
    return this.#reader(live, "ui", Math.min(...pauses), readConfig(this.env));
  }

  /** Ends the runs nobody runs any more (a restart), deletes the chats whose time is up, ends the waits whose time is up. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#approvals.expire(now);
    // After a restart, what storage keeps is read back (a run nobody runs is ended as interrupted).
    for (const scope of this.#store.scopes()) this.#open(scope);
    for (const [scope, live] of this.#live) {
      const expires = this.#expiresAt(live);
      if (expires !== undefined && expires <= now) {
        this.#stored(live.log.requestId, () => this.#store.delete(scope));
        this.#live.delete(scope);
      }
    }
    await this.#armAlarm();
  }

  /** When an ended run's events are deleted: `RESUME_TTL_S` after its terminal event; undefined while it runs. */
  #expiresAt(live: Live): number | undefined {
    const last = live.log.events.at(-1);
    if (!live.log.terminated || !last || !("timestamp" in last)) return undefined;
    return Date.parse(last.timestamp) + readConfig(this.env).resumeTtlS * 1000;
  }

  #reader(live: Live, format: StreamFormat, after: number, config: Config): RoomAnswer {
    const { log } = live;
    const encoder = format === "ui" ? uiEncoder({ approvals: live.approvals, seen: log.events.slice(0, after) }) : ENCODERS[format]();
    // No disconnect probes: a resumable run goes on without its reader, which keep-alives let go of.
    const writer = new EventWriter(encoder, { ...config.stream, probeMs: 0, requestId: log.requestId, onCancel: () => {} });
    log.follow(writer, after);
    return { kind: "stream", format, requestId: log.requestId, body: writer.stream };
  }

  #append(scope: string, live: Live, event: RunEvent): void {
    live.log.append(event);
    if (live.log.terminated) return this.#finish(scope, live);
    live.timer ??= setTimeout(() => this.#flush(scope, live), FLUSH_MS);
  }

  #flush(scope: string, live: Live): void {
    if (live.timer !== undefined) clearTimeout(live.timer);
    live.timer = undefined;
    const { events } = live.log;
    if (live.flushed >= events.length) return;
    const from = live.flushed;
    live.flushed = events.length;
    this.#stored(live.log.requestId, () => (live.parts = this.#store.append(scope, live.parts, events.slice(from))));
  }

  /** Kept in full, and expiring: even when storing the events failed, the alarm deletes what was kept in time. */
  #finish(scope: string, live: Live): void {
    this.#flush(scope, live);
    void this.#armAlarm();
  }

  /** A storage write; a failure is logged (never with content) and the run goes on. */
  #stored(requestId: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      console.log(JSON.stringify({ level: "error", msg: "resumable storage failed", requestId, error: err instanceof Error ? err.message.slice(0, 300) : String(err) }));
    }
  }

  /**
   * The next alarm: the first expiry, a wait's deadline, or a check of a running run (which ends
   * it, should this instance be gone by then); with nothing kept, the object's storage is freed.
   */
  async #armAlarm(): Promise<void> {
    const now = Date.now();
    let next = this.#approvals.nextAlarm(now);
    const checkMs = Math.max(1, readConfig(this.env).resumeTtlS) * 1000;
    for (const live of this.#live.values()) next = Math.min(next ?? Infinity, this.#expiresAt(live) ?? now + checkMs);
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
    else if (this.#store.isEmpty()) {
      await this.ctx.storage.deleteAll();
      this.#store.dropped();
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
      const message = "The run was interrupted inside the service (its Durable Object restarted); the events above are what was kept";
      this.#append(scope, restored, { type: "error", ...envelope(503, message, requestId, { steps: lastSteps(events) }) });
      console.log(JSON.stringify({ level: "warn", msg: "resumable run interrupted", requestId, key: scope, events_kept: events.length }));
    }
    return restored;
  }
}

/** Every step once, in its latest state, in start order, from the step events of a log. */
function lastSteps(events: RunEvent[]): RunStep[] {
  const steps = new Map<string, RunStep>();
  for (const event of events) if (event.type === "step") steps.set(event.step.message_id, event.step);
  return [...steps.values()];
}

function envelopeAnswer(code: 404 | 409, message: string, requestId: string): RoomAnswer {
  return { kind: "envelope", envelope: envelope(code, message, requestId, { steps: [] }), headers: {} };
}

function notFound(requestId: string, message = "No such chat for this key"): RoomAnswer {
  return envelopeAnswer(404, message, requestId);
}
