/**
 * Turns a chat run into its response, once the request has passed every check that needs no
 * upstream (those are plain HTTP errors, thrown before this is called). Streamed formats answer
 * `200` at once and send each event as it happens; whatever happens after, the stream ends with
 * exactly one terminal event, `done` or `error`, also when the run throws (a bug of ours: a generic
 * `500` error event, the stack in the log) or its terminal event cannot be encoded. JSON waits for
 * the end and answers with the envelope, HTTP status equal to its code. A client that leaves
 * aborts the run (`499` in the log).
 */
import type { RunResult, RunSink } from "../chat/run-result";
import { envelope, RunAborted, stackOf } from "../errors";
import type { RunEnvelope, RunEvent } from "../schema/events";
import { EventWriter } from "./event-writer";
import { ENCODERS } from "./encoders";
import { streamHeaders, type StreamFormat } from "./formats";
import { wireEnvelope } from "./wire";

export interface StreamSettings {
  heartbeatMs: number;
  probeMs: number;
  maxBufferedBytes: number;
}

export interface RespondOptions {
  requestId: string;
  run(sink: RunSink): Promise<RunResult>;
  waitUntil(promise: Promise<unknown>): void;
  /** Called once when the work is over (a stream: after its terminal event). */
  onFinish(result: RunResult): void;
  /** The incoming request's signal (`enable_request_signal`): aborts when the client disconnects. */
  clientSignal?: AbortSignal;
}

const baseHeaders = (requestId: string) => ({ "X-Request-Id": requestId, "Cache-Control": "no-store" });

/** An envelope as the HTTP answer (its steps as the contract has them): status equal to its code, its `requestId` as `X-Request-Id`, not stored. */
export function envelopeResponse(body: RunEnvelope, headers: Record<string, string> = {}): Response {
  return Response.json(wireEnvelope(body), { status: body.code, headers: { ...baseHeaders(body.requestId), ...headers } });
}

export function streamResponse(format: StreamFormat, settings: StreamSettings, options: RespondOptions): Response {
  const { requestId } = options;
  const abort = new AbortController();
  const writer = new EventWriter(ENCODERS[format](), {
    ...settings,
    requestId,
    onCancel: () => abort.abort(new RunAborted("client_closed")),
  });
  followClient(options.clientSignal, abort);
  let seq = 0;
  // Numbered once written: an event that cannot be encoded leaves no gap.
  const push = (event: RunEvent) => {
    writer.push(event, seq + 1);
    seq++;
  };
  const sink: RunSink = {
    emit: push,
    ready: () => writer.ready(),
    signal: abort.signal,
    hold: () => writer.hold(),
    release: () => writer.release(),
  };
  const finished = settle(options.run, sink, requestId).then((result) => {
    if (!abort.signal.aborted) result = pushTerminal(result, push, requestId);
    writer.close();
    return result;
  });
  options.waitUntil(finished);
  void finished.then(options.onFinish);
  return new Response(writer.stream, { headers: streamHeaders(format, requestId) });
}

export async function jsonResponse(options: RespondOptions): Promise<Response> {
  const abort = new AbortController();
  followClient(options.clientSignal, abort);
  const sink: RunSink = { emit() {}, ready: () => undefined, signal: abort.signal };
  const result = await settle(options.run, sink, options.requestId);
  options.onFinish(result);
  // The client left: nobody reads this; 499 (nginx's "client closed request") keeps logs honest.
  if (abort.signal.aborted) return new Response(null, { status: 499, headers: baseHeaders(options.requestId) });
  return envelopeResponse(result.envelope, result.headers);
}

/** The run's result; a rejection (a bug of ours) becomes a generic 500 with its stack for the log. */
export function settle(run: (sink: RunSink) => Promise<RunResult>, sink: RunSink, requestId: string): Promise<RunResult> {
  let started: Promise<RunResult>;
  try {
    started = run(sink);
  } catch (err) {
    started = Promise.reject(err);
  }
  return started.catch((err: unknown) => internalFailure(requestId, err));
}

export function internalFailure(requestId: string, err: unknown, steps: RunResult["envelope"]["data"]["steps"] = []): RunResult {
  return {
    ok: false,
    outcome: "error",
    headers: {},
    summary: { rounds: 0, tools: [] },
    internalError: stackOf(err),
    envelope: envelope(500, "Internal error", requestId, { steps }),
  };
}

export function terminalEvent(result: RunResult): RunEvent {
  return { type: result.ok ? "done" : "error", ...result.envelope };
}

/**
 * Sends the terminal event. If it cannot be sent (e.g. its JSON is too large to build), a `500`
 * error event with the steps takes its place, and failing that one without them.
 */
export function pushTerminal(result: RunResult, push: (event: RunEvent) => void, requestId: string): RunResult {
  try {
    push(terminalEvent(result));
    return result;
  } catch (err) {
    const fallback = { ...internalFailure(requestId, err, result.envelope.data.steps), summary: result.summary };
    try {
      push(terminalEvent(fallback));
      return fallback;
    } catch {
      const bare = { ...fallback, envelope: { ...fallback.envelope, data: { steps: [] } } };
      push(terminalEvent(bare));
      return bare;
    }
  }
}

function followClient(signal: AbortSignal | undefined, abort: AbortController): void {
  if (!signal) return;
  const left = () => abort.abort(new RunAborted("client_closed"));
  if (signal.aborted) left();
  else signal.addEventListener("abort", left, { once: true });
}

