/**
 * Reading a chat's stream to its terminal event, across dropped connections when the chat is
 * resumable. Every event carries `seq` (1, 2, 3, …); after a cut the stream is opened again for
 * the events after the last `seq` yielded, so each event is yielded exactly once and in order.
 */
import { ChatApiError } from "./errors";
import { readNdjson, readSse } from "./read";
import type { ChatEvent, ReconnectOptions } from "./types";

export interface FollowOptions {
  format: "ndjson" | "sse";
  signal?: AbortSignal;
  /** The `seq` the first response starts after (resumeChat's `after`). */
  after: number;
  /** How to reconnect; `undefined`: a cut stream throws. */
  reconnect?: ReconnectOptions;
}

/** Status codes a reconnection attempt may meet and try again after. */
const TRANSIENT = new Set([429, 500, 502, 503, 504]);

const isTerminal = (event: ChatEvent) => event.type === "done" || event.type === "error";

/**
 * The events of `first()`'s body; when it breaks off before the terminal event, those of
 * `again(lastSeq)`'s (a bounded number of attempts, each after a growing pause).
 */
export async function* follow(
  first: () => Promise<Response>,
  again: (after: number) => Promise<Response>,
  options: FollowOptions,
): AsyncGenerator<ChatEvent, void, undefined> {
  const policy = options.reconnect && { retries: options.reconnect.retries ?? 5, delayMs: options.reconnect.delayMs ?? 250, onReconnect: options.reconnect.onReconnect };
  let after = options.after;
  /** The run's request id: every response and event after a reconnection must belong to it. */
  let runId: string | undefined;
  let failures = 0;
  let reconnected = false;
  let res = await first();

  for (;;) {
    const headerId = res.headers.get("x-request-id") ?? undefined;
    if (reconnected && runId && headerId && headerId !== runId) {
      await res.body?.cancel().catch(() => {});
      throw movedOn(runId, headerId, after);
    }
    runId ??= headerId;
    if (!res.body) throw new ChatApiError(res.status, 502, "The response has no body", headerId);

    let cut: unknown;
    let ended = false;
    const events = options.format === "sse" ? readSse(res.body) : readNdjson(res.body);
    let open = true;
    try {
      for (;;) {
        let next: IteratorResult<ChatEvent>;
        try {
          next = await events.next();
        } catch (error) {
          open = false;
          // Nothing is lost once the terminal event is in: a cut after it changes nothing.
          if (ended) return;
          cut = error;
          break;
        }
        if (next.done) {
          open = false;
          if (ended) return;
          cut = new ChatApiError(res.status, 502, "The stream ended without a done or error event", runId ?? headerId);
          break;
        }
        // Nothing follows the terminal event; the server closes the stream right after it. Reading
        // on to that close (rather than cancelling the body) lets the request complete instead of
        // showing as aborted (e.g. in the browser's DevTools).
        if (ended) continue;
        const event = next.value;
        if (typeof event.seq === "number") {
          if (event.seq <= after) continue; // already yielded before the reconnection
          after = event.seq;
        }
        if (reconnected && runId && event.requestId !== runId) throw movedOn(runId, event.requestId, after);
        runId ??= event.requestId;
        failures = 0;
        yield event;
        if (isTerminal(event)) ended = true;
      }
    } finally {
      // The caller left early (`break`), or a check above threw: cancel the body, which ends the request.
      if (open) await events.return(undefined).catch(() => {});
    }

    // The stream broke off before its terminal event.
    if (options.signal?.aborted || !policy) throw cut;
    for (;;) {
      if (failures >= policy.retries) throw cut;
      failures++;
      const delayMs = policy.delayMs * 2 ** Math.min(failures - 1, 3);
      policy.onReconnect?.({ attempt: failures, after, delayMs, error: cut });
      await sleep(delayMs, options.signal);
      try {
        res = await again(after);
        reconnected = true;
        break;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        // The chat is gone (204), not ours (404), the key is refused (401)…: no point in trying again.
        if (error instanceof ChatApiError && !TRANSIENT.has(error.status)) throw error;
        cut = error;
      }
    }
  }
}

function movedOn(runId: string, other: string, after: number): ChatApiError {
  return new ChatApiError(409, 409, `The chat has started another run (${other}) since this one (${runId}); this run's events after seq ${after} can no longer be read`, runId);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
