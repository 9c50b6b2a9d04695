/**
 * Reads an Azure chat-completions SSE body and hands each parsed chunk to `onChunk` as it comes.
 * A plain read loop with a callback: in workerd the per-read cost is dominated by promise hops,
 * and an async generator per read measurably adds to it (see `npm run bench`). SSE framing is
 * eventsource-parser's; comments (`: keep-alive`) are skipped. The idle watchdog ends the read with
 * a 504 when no byte arrives for `idleTimeoutMs`; a body that is not valid SSE/JSON is a broken
 * stream (502).
 */
import { createParser } from "eventsource-parser";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { ApiError } from "../errors";

export interface ReadOptions {
  idleTimeoutMs: number;
  signal: AbortSignal;
  /** Backpressure: a promise while the client is behind; nothing more is read upstream until it settles. */
  ready?: () => Promise<void> | undefined;
}

export async function pumpChunks(
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: ChatCompletionChunk) => void,
  { idleTimeoutMs, signal, ready }: ReadOptions,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let sawDone = false;
  let badData: string | undefined;
  const parser = createParser({
    onEvent(event) {
      if (sawDone || badData !== undefined) return;
      if (event.data === "[DONE]") {
        sawDone = true;
        return;
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(event.data);
      } catch {
        badData = "Azure OpenAI sent a chunk that is not JSON";
        return;
      }
      if (!chunk || typeof chunk !== "object" || Array.isArray(chunk)) {
        badData = "Azure OpenAI sent a chunk that is not a chat completion chunk";
      } else if ("error" in chunk) {
        // What Azure and OpenAI send when the model fails mid-answer: `data: {"error": {...}}`.
        badData = "Azure OpenAI reported an error in the middle of the stream";
      } else {
        onChunk(chunk as ChatCompletionChunk);
      }
    },
  });

  // One timer per idle period, not per read: it re-arms itself for the time still left.
  let lastByteAt = Date.now();
  let idle = false;
  let timer = setTimeout(function check() {
    const quiet = Date.now() - lastByteAt;
    if (quiet >= idleTimeoutMs) {
      idle = true;
      reader.cancel().catch(() => {});
    } else {
      timer = setTimeout(check, idleTimeoutMs - quiet);
    }
  }, idleTimeoutMs);
  const onAbort = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });

  let ended = false;
  try {
    while (!sawDone) {
      const behind = ready?.();
      if (behind) {
        await behind;
        lastByteAt = Date.now(); // Waiting for our client is not the upstream's silence.
      }
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (idle) throw idleError(idleTimeoutMs);
        throw new ApiError(502, "The Azure OpenAI stream broke off: " + (err instanceof Error ? err.message : "read failed"));
      }
      if (signal.aborted) throw signal.reason;
      if (idle) throw idleError(idleTimeoutMs);
      if (result.done) {
        ended = true;
        break;
      }
      lastByteAt = Date.now();
      parser.feed(decoder.decode(result.value, { stream: true }));
      if (badData !== undefined) throw new ApiError(502, badData);
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    if (!ended) reader.cancel().catch(() => {});
  }
}

function idleError(idleTimeoutMs: number): ApiError {
  return new ApiError(504, `Azure OpenAI sent nothing for ${idleTimeoutMs} ms (UPSTREAM_TIMEOUT_MS)`);
}
