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
 * Internal protocol (the Worker's routes, src/routes/chat.ts, are the only caller): `POST /run`
 * with the checked request body, `GET /stream?after=N`, `POST /stop`; the caller's scope, request
 * id, language, image count and format in `x-chat-*` headers.
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
import { EventLog } from "./event-log";

/** A batch is written after this long, or once it holds this many events, and at the end of the run. */
const FLUSH_MS = 250;
const FLUSH_EVENTS = 500;
/** How long `POST /stop` waits for the run to wind down before answering. */
const STOP_WAIT_MS = 2_000;

interface Live {
  log: EventLog;
  flushed: number;
  timer?: ReturnType<typeof setTimeout>;
  abort?: AbortController;
  finished?: Promise<RunResult>;
}

export class ChatRoom extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  /** Per scope: the latest run's log, while this object is in memory. */
  readonly #live = new Map<string, Live>();
  /** Tool calls waiting for a person, by approval id. */
  readonly #waiting = new Map<string, { scope: string; answer(decision: ApprovalDecision): void }>();

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
    return new Response(null, { status: 404 });
  }

  /** Deletes the chats whose time is up, and waits for the next. */
  override async alarm(): Promise<void> {
    const now = Date.now();
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
    const live: Live = { log: new EventLog(requestId), flushed: 0, abort: new AbortController() };
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
      startChat(config, { ...(await body), requestId, lang, imageCount }, (promise) => this.ctx.waitUntil(promise), this.#gate(scope))(sink);
    const sink: RunSink = { emit: (event) => this.#append(scope, live, event), ready: () => undefined, signal: live.abort!.signal };
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
    return this.#reader(live.log, format, 0, config);
  }

  async #stream(request: Request, scope: string, requestId: string): Promise<Response> {
    const live = this.#open(scope);
    if (!live) return this.#hasOtherScopes(scope) ? notFound(requestId) : new Response(null, { status: 204 });
    const url = new URL(request.url);
    // The AI SDK resumes only a running chat: 204 once it has ended.
    if (url.searchParams.get("running") === "1" && live.log.terminated) return new Response(null, { status: 204 });
    const after = Math.max(0, Number(url.searchParams.get("after")) || 0);
    return this.#reader(live.log, request.headers.get("x-chat-format") as Format, after, readConfig(this.env));
  }

  async #stop(scope: string, requestId: string): Promise<Response> {
    const live = this.#open(scope);
    if (!live || live.log.terminated || !live.abort) return notFound(requestId, "This chat has no run going");
    live.abort.abort(new RunAborted("stopped"));
    const result = await Promise.race([live.finished!, new Promise<undefined>((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
    const data = result?.envelope.data ?? { steps: [] };
    return Response.json(envelope(200, "Stopped", requestId, data), { headers: { "Cache-Control": "no-store" } });
  }

  /** The run's approval gate: each waiting call answered by `/approve`, or denied when its time is up. */
  #gate(scope: string): ApprovalGate {
    return {
      wait: (approvalId, timeoutMs, signal) =>
        new Promise((resolve, reject) => {
          const done = () => {
            clearTimeout(timer);
            this.#waiting.delete(approvalId);
            signal.removeEventListener("abort", aborted);
          };
          const timer = setTimeout(() => {
            done();
            resolve({ approve: false, timedOut: true });
          }, timeoutMs);
          const aborted = () => {
            done();
            reject(signal.reason);
          };
          signal.addEventListener("abort", aborted, { once: true });
          this.#waiting.set(approvalId, {
            scope,
            answer: (decision) => {
              done();
              resolve(decision);
            },
          });
        }),
    };
  }

  async #approve(request: Request, scope: string, requestId: string): Promise<Response> {
    const { approval_id: approvalId, ...decision } = await request.json<ApprovalDecision & { approval_id: string }>();
    const waiting = this.#waiting.get(approvalId);
    if (!waiting || waiting.scope !== scope) return notFound(requestId, "No tool call of this chat waits for that approval (unknown, or already answered)");
    waiting.answer(decision);
    return Response.json(envelope(200, decision.approve ? "Approved" : "Denied", requestId, { steps: [] }), { headers: { "Cache-Control": "no-store" } });
  }

  #reader(log: EventLog, format: Format, after: number, config: ReturnType<typeof readConfig>): Response {
    const streamFormat = isStreamed(format) ? format : "ndjson";
    const writer = new EventWriter(FORMATS[streamFormat].encoder(), { ...config.stream, requestId: log.requestId, onCancel: () => {} });
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
    const next = this.#sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM runs WHERE status = 'ended'").one().at;
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
    const restored: Live = { log: new EventLog(row.request_id, events), flushed: events.length };
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
