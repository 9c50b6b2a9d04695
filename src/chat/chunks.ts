/**
 * Reads a chat-completions SSE body (Azure OpenAI's, or an OpenAI-compatible endpoint's) and hands
 * each parsed chunk to `onChunk` as it comes.
 * A plain read loop with a callback: in workerd the per-read cost is dominated by promise hops,
 * and an async generator per read measurably adds to it (see `npm run bench`).
 *
 * SSE framing is eventsource-parser's, but it is fed one complete line at a time by the upstreams'
 * line splitter (src/upstream/line-splitter.ts): it re-scans the incomplete line it holds on every
 * feed (and scans to the end of a feed for every line in it), so one long line fed piece by piece
 * costs quadratic time — an 8 MiB line took over 30 s of CPU. A line or event longer than
 * MAX_EVENT_CHARS ends the read with a 502.
 *
 * Deadlines: only a data event resets the idle watchdog (comments and blank lines are not an
 * answer), which ends the read with a 504 after `idleTimeoutMs` without one; the round's own
 * deadline (UPSTREAM_ROUND_TIMEOUT_MS, set by upstream.ts) ends it with a 504 however busy the
 * stream is. A body that is not valid SSE/JSON is a broken stream (502).
 */
import { createParser } from "eventsource-parser";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { ApiError } from "../errors";
import { AZURE_LABEL, type UpstreamLabel } from "../upstream/label";
import { LineSplitter, TEXT } from "../upstream/line-splitter";
import { roundTimeoutError } from "./upstream-errors";

/** Longest SSE event (all its lines) accepted from Azure, in characters (each at least a byte). */
export const MAX_EVENT_CHARS = 1024 * 1024;

export interface RoundDeadline {
  /** When the round must be over (ms since the epoch). */
  at: number;
  /** The setting's value, for the message. */
  timeoutMs: number;
}

export interface ReadOptions {
  idleTimeoutMs: number;
  signal: AbortSignal;
  /** The round's deadline; default: the one upstream.ts registered for this body (setRoundDeadline). */
  round?: RoundDeadline;
  /** Backpressure: a promise while the client is behind; nothing more is read upstream until it settles. */
  ready?: () => Promise<void> | undefined;
  /** The sink's batching (RunSink's hold / release): called around the chunks of each read. */
  hold?: () => void;
  release?: () => void;
  /** Who sends the stream, as messages name it (default Azure OpenAI). */
  label?: UpstreamLabel;
}

const STREAM = { stream: true };

const roundDeadlines = new WeakMap<ReadableStream<Uint8Array>, RoundDeadline>();

/** Registers the deadline of the round this body belongs to (upstream.ts, when the response arrives). */
export function setRoundDeadline(body: ReadableStream<Uint8Array>, at: number, timeoutMs: number): void {
  roundDeadlines.set(body, { at, timeoutMs });
}

export async function pumpChunks(
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: ChatCompletionChunk) => void,
  { idleTimeoutMs, signal, round = roundDeadlines.get(body), ready, hold, release, label = AZURE_LABEL }: ReadOptions,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let sawDone = false;
  let badData: string | undefined;
  let lastDataAt = Date.now();
  // A data event came in the read being parsed: lastDataAt becomes the read's time (one clock read per read).
  let sawData = false;
  const parser = createParser({
    onEvent(event) {
      sawData = true;
      if (sawDone || badData !== undefined) return;
      if (event.data === "[DONE]") {
        sawDone = true;
        return;
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(event.data);
      } catch {
        badData = `${label.Name} sent a chunk that is not JSON`;
        return;
      }
      if (!chunk || typeof chunk !== "object" || Array.isArray(chunk)) {
        badData = `${label.Name} sent a chunk that is not a chat completion chunk`;
      } else if ("error" in chunk) {
        // What Azure and OpenAI send when the model fails mid-answer: `data: {"error": {...}}`.
        badData = `${label.Name} reported an error in the middle of the stream`;
      } else {
        onChunk(chunk as ChatCompletionChunk);
      }
    },
  });
  // Lines (and events) longer than MAX_EVENT_CHARS end the read with a 502.
  const lines = new LineSplitter(TEXT, { maxLine: MAX_EVENT_CHARS, maxEvent: MAX_EVENT_CHARS }, () => tooLarge(label));
  const feed = (line: string) => parser.feed(line);

  // One timer per quiet period, not per read: it re-arms itself for the time still left.
  const deadline = round?.at ?? Infinity;
  let idle = false;
  let over = false;
  const check = () => {
    const now = Date.now();
    if (now >= deadline) over = true;
    else if (now - lastDataAt >= idleTimeoutMs) idle = true;
    else {
      timer = setTimeout(check, Math.min(idleTimeoutMs - (now - lastDataAt), deadline - now));
      return;
    }
    reader.cancel().catch(() => {});
  };
  let timer = setTimeout(check, Math.min(idleTimeoutMs, deadline - Date.now()));
  const onAbort = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  const stopped = (now = Date.now()) => {
    if (signal.aborted) throw signal.reason;
    if (over || now >= deadline) throw roundTimeoutError(round!.timeoutMs, label);
    if (idle) throw new ApiError(504, `${label.Name} sent no data for ${idleTimeoutMs} ms (UPSTREAM_TIMEOUT_MS)`, {}, { reason: "timeout" });
  };

  let ended = false;
  try {
    while (!sawDone) {
      const behind = ready?.();
      if (behind) {
        await behind;
        lastDataAt = Date.now(); // Waiting for our client is not the upstream's silence.
      }
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (err) {
        stopped();
        throw new ApiError(502, `The stream of ${label.name} broke off: ` + (err instanceof Error ? err.message : "read failed"), {}, { reason: "brokenStream" });
      }
      const now = Date.now();
      stopped(now);
      if (result.done) {
        ended = true;
        break;
      }
      // The events of one read leave in one write, when it has been parsed (also when it throws).
      hold?.();
      try {
        lines.push(decoder.decode(result.value, STREAM), feed);
      } finally {
        release?.();
      }
      if (sawData) {
        lastDataAt = now;
        sawData = false;
      }
      if (badData !== undefined) throw new ApiError(502, badData);
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    if (!ended) {
      if (sawDone && !signal.aborted) void drainTail(reader);
      else reader.cancel().catch(() => {});
    }
  }
}

/** Most bytes read after `[DONE]`, and longest wait for the body's end, before it is cancelled. */
export const TAIL_MAX_BYTES = 64 * 1024;
export const TAIL_MAX_MS = 1000;

/**
 * After `[DONE]` the body is read to its end in the background (what comes after it is ignored),
 * not cancelled: a response read to its end leaves its connection to the upstream open for the
 * next request, while a cancelled one closes it, and each request would open a new one (a TCP and
 * TLS handshake before its first text). Bounded: a body that goes on past TAIL_MAX_BYTES, or does
 * not end within TAIL_MAX_MS, is cancelled.
 */
async function drainTail(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const timer = setTimeout(() => reader.cancel().catch(() => {}), TAIL_MAX_MS);
  try {
    for (let bytes = 0; bytes <= TAIL_MAX_BYTES; ) {
      const { done, value } = await reader.read();
      if (done) return;
      bytes += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // cancelled at the deadline, or the body broke off: either way nothing is left to read
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(label: UpstreamLabel): ApiError {
  return new ApiError(502, `${label.Name} sent an event larger than ${MAX_EVENT_CHARS / 1048576} MiB`);
}
