/**
 * Incremental readers of a response body: lines as they arrive, NDJSON events, SSE events.
 * Leaving early (a `break` in `for await`) cancels the body, which ends the request.
 */
import type { ChatEvent } from "./types";

const KNOWN = new Set(["step", "delta", "approval_request", "done", "error"]);

/** The lines of a UTF-8 stream (LF or CRLF), each as soon as it is complete. */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      let nl: number;
      while ((nl = buffer.indexOf("\n", start)) >= 0) {
        const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield buffer.slice(start, end);
        start = nl + 1;
      }
      buffer = buffer.slice(start);
    }
    buffer += decoder.decode();
    finished = true;
    if (buffer) yield buffer;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Known events only: the contract lets servers add types (a keep-alive, say) that clients ignore. */
function known(value: unknown): ChatEvent | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return KNOWN.has((value as { type?: unknown }).type as string) ? (value as ChatEvent) : undefined;
}

/** Events of an NDJSON body (`application/x-ndjson`). */
export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatEvent> {
  for await (const line of readLines(body)) {
    if (!line.trim()) continue;
    const event = known(JSON.parse(line));
    if (event) yield event;
  }
}

/** Events of an SSE body (`text/event-stream`): `data:` lines joined, dispatched on a blank line. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatEvent> {
  let data: string[] = [];
  const dispatch = () => {
    const text = data.join("\n");
    data = [];
    if (!text) return undefined;
    try {
      return known(JSON.parse(text));
    } catch {
      return undefined; // e.g. a `[DONE]` sentinel: not one of ours
    }
  };
  for await (const line of readLines(body)) {
    if (line === "") {
      const event = dispatch();
      if (event) yield event;
    } else if (line.startsWith("data:")) {
      data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    } // `event:`, `id:`, `retry:` and `:` comments: the type is in the data
  }
  const event = dispatch();
  if (event) yield event;
}
