/**
 * Turns a chat run into the response the client asked for. Streamed formats hold the response
 * until Azure has accepted the first round, so a failure before that is a plain HTTP error with
 * the envelope (a 429 keeps its `Retry-After`); after it, the stream ends with an `error` event.
 * JSON waits for the end. A client that leaves aborts the run and the upstream request at once.
 */
import { encoderFor } from "../encoders";
import type { Format } from "../request/negotiate";
import type { RunResult } from "../chat/run";
import type { ChatEvent } from "../schema/events";
import { EventWriter } from "./event-writer";

export interface RunHooks {
  emit(event: ChatEvent): void;
  onStreamStart(): void;
  signal: AbortSignal;
}

export type StartRun = (hooks: RunHooks) => Promise<RunResult>;

export interface RespondOptions {
  format: Format;
  requestId: string;
  start: StartRun;
  waitUntil(promise: Promise<unknown>): void;
  /** Called once when the work is over (a stream: after its last event), `undefined` if the client left. */
  onFinish?(result: RunResult | undefined): void;
  /** The incoming request's signal (`enable_request_signal`): aborts when the client disconnects. */
  clientSignal?: AbortSignal;
}

export async function respond({ format, requestId, start, waitUntil, onFinish = () => {}, clientSignal }: RespondOptions): Promise<Response> {
  const abort = new AbortController();
  const clientLeft = () => abort.abort(new DOMException("The client went away", "AbortError"));
  if (clientSignal?.aborted) clientLeft();
  clientSignal?.addEventListener("abort", clientLeft, { once: true });
  const baseHeaders = { "X-Request-Id": requestId, "Cache-Control": "no-store" };
  const envelopeResponse = (result: RunResult) =>
    Response.json(result.envelope, { status: result.envelope.code, headers: { ...baseHeaders, ...result.headers } });

  if (format === "json") {
    const result = await start({ emit() {}, onStreamStart() {}, signal: abort.signal }).catch((err: unknown) => {
      onFinish(undefined);
      if (abort.signal.aborted) return undefined;
      throw err;
    });
    // The client left: nobody reads this; 499 (nginx's "client closed request") keeps logs honest.
    if (!result) return new Response(null, { status: 499, headers: baseHeaders });
    onFinish(result);
    return envelopeResponse(result);
  }

  const encoder = encoderFor(format);
  const writer = new EventWriter(encoder, clientLeft);
  let streaming = false;
  let startStreaming!: () => void;
  const started = new Promise<void>((resolve) => (startStreaming = resolve));

  const run = start({
    emit: (event) => writer.push(event),
    onStreamStart: () => {
      streaming = true;
      startStreaming();
    },
    signal: abort.signal,
  });
  const finished = run.then(
    (result) => {
      if (!streaming) return result; // Failed before the stream started: a plain error response.
      writer.push({ type: result.ok ? "done" : "error", ...result.envelope });
      writer.close();
      return result;
    },
    () => undefined, // The client left: nothing to say, nobody to say it to.
  );
  waitUntil(finished);
  void finished.then(onFinish);

  const early = await Promise.race([started.then(() => undefined), finished]);
  if (early) return envelopeResponse(early);
  writer.open();
  return new Response(writer.stream, {
    headers: { ...baseHeaders, "Content-Type": encoder.contentType, "X-Content-Type-Options": "nosniff" },
  });
}
