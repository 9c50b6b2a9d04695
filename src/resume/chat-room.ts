/**
 * `ChatRoom`: the Durable Object (SQLite-backed) in which resumable chats run. One object per
 * `chat_id`; inside it, each caller's key (its fingerprint, or `anonymous`) has a chat of its own,
 * so no key reaches another's chat, and another key's request can be told apart (404) from a chat
 * nobody started (204).
 *
 * A run goes on when its client leaves. Its events are kept in memory for the live readers and
 * appended to storage in batches (one row per batch, not per event); `RESUME_TTL_S` after the
 * terminal event an alarm deletes them. If the object restarts mid-run, the next reader finds the
 * run marked running with nobody running it: it is ended with a `503` "interrupted" error event
 * after the events kept so far.
 *
 * Tool calls that need approval wait here (the gate), answered by `POST /approve`, or by the
 * AI SDK dialect's next request (`POST /continue`), whose response goes on from where the run
 * paused for them. While a call waits, an alarm at most `KEEP_ALIVE_MS` away keeps the object
 * in memory, although no request may be open (the Agents SDK's `keepAlive` does the same).
 *
 * Internal protocol (the Worker's routes, src/routes/chat.ts and ui-chat.ts, are the only caller):
 * `POST /run` with the checked request body, `GET /stream?after=N`, `POST /stop`, `POST /approve`,
 * `POST /continue`; the caller's scope, request id, language, image count, format and (AI SDK
 * dialect) approval flow in `x-chat-*` headers.
 */
import { DurableObject } from "cloudflare:workers";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ApprovalDecision, ApprovalGate } from "../chat/approvals";
import { startChat } from "../chat/start-chat";
import type { RunResult, RunSink } from "../chat/run-result";
import { readConfig } from "../config";
import { envelope, RunAborted } from "../errors";
import type { ChatRequest } from "../schema/request";
import type { RunEvent, Step } from "../schema/events";
import type { Lang } from "../steps/i18n";
import { EventWriter } from "../stream/event-writer";
import { FORMATS, isStreamed, streamHeaders, type Format } from "../stream/formats";
import { pushTerminal, settle } from "../stream/respond";
import { uiEncoder, type UiApprovals } from "../ui/ui-encoder";
import { EventLog } from "./event-log";

/** A batch is written after this long, or once it holds this many events, and at the end of the run. */
const FLUSH_MS = 250;
const FLUSH_EVENTS = 500;
/** How long `POST /stop` waits for the run to wind down before answering. */
const STOP_WAIT_MS = 2_000;
/** While a tool call waits for approval, an alarm at least this often keeps the object in memory. */
const KEEP_ALIVE_MS = 30_000;

interface Live {
  log: EventLog;
  flushed: number;
  timer?: ReturnType<typeof setTimeout>;
  abort?: AbortController;
  finished?: Promise<RunResult>;
  /** How the AI SDK dialect's readers show approvals. */
  approvals: UiApprovals;
  /** Each approval's pause: the `seq` after which the run first waited for it. */
  pauseOf: Map<string, number>;
}

interface Waiting {
  scope: string;
  deadline: number;
  answer(decision: ApprovalDecision & { timedOut?: boolean }): void;
}

export class ChatRoom extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  /** Per scope: the latest run's log, while this object is in memory. */
  readonly #live = new Map<string, Live>();
  /** Tool calls waiting for a person, by approval id. */
  readonly #waiting = new Map<string, Waiting>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS runs (
      scope TEXT PRIMARY KEY, request_id TEXT NOT NULL, status TEXT NOT NULL, expires_at INTEGER)`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS batches (
      scope TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, events TEXT NOT NULL,
      PRIMARY KEY (scope, first_seq))`);
  }

  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const scope = request.headers.get("x-chat-scope") ?? "";
    const requestId = request.headers.get("x-chat-request-id") ?? "";
    if (path === "/run") return this.#run(request, scope, requestId);
    if (path === "/stream") return this.#stream(request, scope, requestId);
    if (path === "/stop") return this.#stop(scope, requestId);
    if (path === "/approve") return this.#approve(request, scope, requestId);
    if (path === "/continue") return this.#continue(request, scope, requestId);
    return new Response(null, { status: 404 });
  }

  /** Deletes the chats whose time is up, ends the waits whose time is up, and waits for the next. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    // The waits' own timers normally end them; this is the backstop.
    for (const waiting of [...this.#waiting.values()]) if (waiting.deadline <= now) waiting.answer({ approve: false, timedOut: true });
    for (const { scope } of this.#sql.exec<{ scope: string }>("SELECT scope FROM runs WHERE status = 'ended' AND expires_at <= ?", now)) {
      if (this.#live.get(scope)?.abort && !this.#live.get(scope)!.log.terminated) continue;
      this.#sql.exec("DELETE FROM batches WHERE scope = ?", scope);
      this.#sql.exec("DELETE FROM runs WHERE scope = ?", scope);
      this.#live.delete(scope);
    }
    await this.#armAlarm();
  }

  async #run(request: Request, scope: string, requestId: string): Promise<Response> {
    const current = this.#open(scope);
    if (current && !current.log.terminated) {
      return envelopeResponse(409, "This chat already has a run going: follow it with GET /api/chat/{chat_id}/stream, or stop it with POST /api/chat/{chat_id}/stop", requestId);
    }
    const format = request.headers.get("x-chat-format") as Format;
    const config = readConfig(this.env);
    // Taken before anything is awaited: a second POST meanwhile is a 409.
    const approvals: UiApprovals = request.headers.get("x-chat-approvals") === "data" ? "data" : "sdk";
    const live: Live = { log: new EventLog(requestId), flushed: 0, abort: new AbortController(), approvals, pauseOf: new Map() };
    this.#live.set(scope, live);
    this.#sql.exec("DELETE FROM batches WHERE scope = ?", scope);
    this.#sql.exec("INSERT OR REPLACE INTO runs (scope, request_id, status, expires_at) VALUES (?, ?, 'running', NULL)", scope, requestId);

    const lang = (request.headers.get("x-chat-lang") ?? "zh") as Lang;
    const imageCount = Number(request.headers.get("x-chat-images") ?? 0);
    // The UI dialect sends the request with the model's messages; /api/chat the checked body as it came.
    const body = request.headers.get("x-chat-body") === "ui"
      ? request.json<{ request: ChatRequest; messages: ChatCompletionMessageParam[] }>()
      : request.json<ChatRequest>().then((chatRequest) => ({ request: chatRequest, messages: undefined }));
    const run = async (sink: RunSink) =>
      startChat(config, { ...(await body), requestId, lang, imageCount }, (promise) => this.ctx.waitUntil(promise), this.#gate(scope, live))(sink);
    const sink: RunSink = {
      emit: (event) => this.#append(scope, live, event),
      ready: () => undefined,
      signal: live.abort!.signal,
      hold: () => live.log.hold(),
      release: () => live.log.release(),
    };
    live.finished = settle(run, sink, requestId).then(async (result) => {
      const final = pushTerminal(result, (event) => this.#append(scope, live, event), requestId);
      console.log(JSON.stringify(runLogLine(final, requestId, scope)));
      return final;
    });
    this.ctx.waitUntil(live.finished);

    if (!isStreamed(format)) {
      const result = await live.finished;
      return Response.json(result.envelope, { status: result.envelope.code, headers: { ...result.headers, "Cache-Control": "no-store" } });
    }
    return this.#reader(live, format, 0, config);
  }

  async #stream(request: Request, scope: string, requestId: string): Promise<Response> {
    const live = this.#open(scope);
    if (!live) return this.#hasOtherScopes(scope) ? notFound(requestId) : new Response(null, { status: 204 });
    const url = new URL(request.url);
    // The AI SDK resumes only a running chat: 204 once it has ended.
    if (url.searchParams.get("running") === "1" && live.log.terminated) return new Response(null, { status: 204 });
    const after = Math.max(0, Number(url.searchParams.get("after")) || 0);
    return this.#reader(live, request.headers.get("x-chat-format") as Format, after, readConfig(this.env));
  }

  async #stop(scope: string, requestId: string): Promise<Response> {
    const live = this.#open(scope);
    if (!live || live.log.terminated || !live.abort) return notFound(requestId, "This chat has no run going");
    live.abort.abort(new RunAborted("stopped"));
    const result = await Promise.race([live.finished!, new Promise<undefined>((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
    const data = result?.envelope.data ?? { steps: [] };
    return Response.json(envelope(200, "Stopped", requestId, data), { headers: { "Cache-Control": "no-store" } });
  }

  /** The run's approval gate: each waiting call answered by `/approve` or `/continue`, or denied when its time is up. */
  #gate(scope: string, live: Live): ApprovalGate {
    return {
      wait: (approvalId, timeoutMs, signal) =>
        new Promise((resolve, reject) => {
          const done = () => {
            clearTimeout(timer);
            this.#waiting.delete(approvalId);
            signal.removeEventListener("abort", aborted);
            live.log.unpause();
          };
          const timer = setTimeout(() => waiting.answer({ approve: false, timedOut: true }), timeoutMs);
          const aborted = () => {
            done();
            reject(signal.reason);
          };
          signal.addEventListener("abort", aborted, { once: true });
          const waiting: Waiting = {
            scope,
            deadline: Date.now() + timeoutMs,
            answer: (decision) => {
              done();
              resolve(decision);
            },
          };
          this.#waiting.set(approvalId, waiting);
          void this.#armAlarm();
        }),
      idle: () => {
        live.log.pause();
        for (const [approvalId, waiting] of this.#waiting) {
          if (waiting.scope === scope && !live.pauseOf.has(approvalId)) live.pauseOf.set(approvalId, live.log.lastSeq);
        }
      },
    };
  }

  async #approve(request: Request, scope: string, requestId: string): Promise<Response> {
    const { approval_id: approvalId, ...decision } = await request.json<ApprovalDecision & { approval_id: string }>();
    if (!this.#answer(scope, approvalId, decision)) return notFound(requestId, "No tool call of this chat waits for that approval (unknown, or already answered)");
    return Response.json(envelope(200, decision.approve ? "Approved" : "Denied", requestId, { steps: [] }), { headers: { "Cache-Control": "no-store" } });
  }

  /** Answers the call waiting for `approvalId` in this scope; false when none does. */
  #answer(scope: string, approvalId: string, decision: ApprovalDecision): boolean {
    const waiting = this.#waiting.get(approvalId);
    if (waiting?.scope !== scope) return false;
    waiting.answer(decision);
    return true;
  }

  /**
   * The AI SDK dialect's next request after a pause: answers the approvals it carries that still
   * wait, and goes on from the pause (earliest of theirs) with a response that ends at the next
   * pause or at the end of the run. Approvals answered meanwhile (or timed out) are not answered
   * again: the response shows what became of them.
   */
  async #continue(request: Request, scope: string, requestId: string): Promise<Response> {
    const { decisions } = await request.json<{ decisions: (ApprovalDecision & { approval_id: string })[] }>();
    const live = this.#open(scope);
    const pauses = live ? decisions.map((d) => live.pauseOf.get(d.approval_id)).filter((seq) => seq !== undefined) : [];
    if (!live || !pauses.length) return notFound(requestId, "No tool call of this chat waits for those approvals (unknown, or from an earlier run)");
    for (const { approval_id: approvalId, approve, reason } of decisions) this.#answer(scope, approvalId, { approve, ...(reason ? { reason } : {}) });
    return this.#reader(live, "ui", Math.min(...pauses), readConfig(this.env));
  }

  #reader(live: Live, format: Format, after: number, config: ReturnType<typeof readConfig>): Response {
    const { log } = live;
    const streamFormat = isStreamed(format) ? format : "ndjson";
    const ui = streamFormat === "ui";
    const encoder = ui ? uiEncoder({ approvals: live.approvals, seen: log.events.slice(0, after) }) : FORMATS[streamFormat].encoder();
    // No disconnect probes: a resumable run goes on without its reader, which keep-alives let go of.
    const writer = new EventWriter(encoder, { ...config.stream, probeMs: 0, requestId: log.requestId, onCancel: () => {} });
    log.follow(writer, after);
    return new Response(writer.stream, { headers: streamHeaders(streamFormat, log.requestId) });
  }

  #append(scope: string, live: Live, event: RunEvent): void {
    const seq = live.log.append(event);
    if (live.log.terminated) return this.#finish(scope, live);
    if (seq - live.flushed >= FLUSH_EVENTS) this.#flush(scope, live);
    else live.timer ??= setTimeout(() => this.#flush(scope, live), FLUSH_MS);
  }

  #flush(scope: string, live: Live): void {
    if (live.timer !== undefined) clearTimeout(live.timer);
    live.timer = undefined;
    const { events } = live.log;
    const from = live.flushed;
    if (from >= events.length) return;
    let json = "[";
    for (let i = from; i < events.length; i++) json += (i > from ? "," : "") + JSON.stringify(events[i]);
    this.#sql.exec("INSERT INTO batches (scope, first_seq, last_seq, events) VALUES (?, ?, ?, ?)", scope, from + 1, events.length, json + "]");
    live.flushed = events.length;
  }

  #finish(scope: string, live: Live): void {
    this.#flush(scope, live);
    const ttl = readConfig(this.env).resumeTtlS;
    this.#sql.exec("UPDATE runs SET status = 'ended', expires_at = ? WHERE scope = ?", Date.now() + ttl * 1000, scope);
    void this.#armAlarm();
  }

  async #armAlarm(): Promise<void> {
    let next = this.#sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM runs WHERE status = 'ended'").one().at;
    for (const waiting of this.#waiting.values()) next = Math.min(next ?? Infinity, waiting.deadline, Date.now() + KEEP_ALIVE_MS);
    if (next !== null) await this.ctx.storage.setAlarm(next);
    else if (!this.#sql.exec("SELECT 1 FROM runs LIMIT 1").toArray().length) await this.ctx.storage.deleteAll();
  }

  /** The scope's latest run: live in memory, or read back from storage (ended as interrupted if nobody runs it any more). */
  #open(scope: string): Live | undefined {
    const live = this.#live.get(scope);
    if (live) return live;
    const row = this.#sql.exec<{ request_id: string; status: string }>("SELECT request_id, status FROM runs WHERE scope = ?", scope).toArray()[0];
    if (!row) return undefined;
    const events: RunEvent[] = [];
    for (const batch of this.#sql.exec<{ events: string }>("SELECT events FROM batches WHERE scope = ? ORDER BY first_seq", scope)) {
      for (const event of JSON.parse(batch.events) as RunEvent[]) events.push(event);
    }
    const restored: Live = { log: new EventLog(row.request_id, events), flushed: events.length, approvals: "sdk", pauseOf: new Map() };
    this.#live.set(scope, restored);
    if (!restored.log.terminated) {
      const message = "The run was interrupted inside the service (its Durable Object restarted); the events above are what was kept";
      this.#append(scope, restored, { type: "error", ...envelope(503, message, row.request_id, { steps: lastSteps(events) }) });
    }
    return restored;
  }

  #hasOtherScopes(scope: string): boolean {
    return this.#sql.exec("SELECT 1 FROM runs WHERE scope != ? LIMIT 1", scope).toArray().length > 0;
  }
}

/** Every step once, in its latest state, in start order, from the step events of a log. */
function lastSteps(events: RunEvent[]): Step[] {
  const steps = new Map<string, Step>();
  for (const event of events) if (event.type === "step") steps.set(event.step.message_id, event.step);
  return [...steps.values()];
}

function envelopeResponse(code: 404 | 409, message: string, requestId: string): Response {
  return Response.json(envelope(code, message, requestId, { steps: [] }), { status: code, headers: { "Cache-Control": "no-store" } });
}

function notFound(requestId: string, message = "No such chat for this key"): Response {
  return envelopeResponse(404, message, requestId);
}

/** The run's log line (the request's own line was written when its response started). */
function runLogLine(result: RunResult, requestId: string, scope: string) {
  const { summary, envelope: env } = result;
  return {
    level: env.code >= 500 ? "error" : env.code >= 400 ? "warn" : "info",
    msg: "resumable run",
    requestId,
    key: scope,
    code: env.code,
    outcome: result.outcome,
    rounds: summary.rounds,
    ...(summary.toolsListed !== undefined ? { tools_listed: summary.toolsListed } : {}),
    ...(summary.tools.length ? { tools: summary.tools } : {}),
    ...(env.data.usage ? { usage: env.data.usage } : {}),
    ...(result.internalError ? { error: result.internalError.slice(0, 2000) } : env.code >= 400 ? { error: env.message.slice(0, 500) } : {}),
  };
}
