/**
 * The one NDJSON reader of the tests and tools: reads a response body (the chat stream's default
 * format) as it arrives, each event stamped with the time its bytes were read, for tests and the
 * load script that check the stream is incremental, not only complete; `onEvent` may act on each
 * event as it comes (answer an approval, say) and `stopWhen` leave early. (The typed client's
 * readNdjson in client/src is what an application uses; this one keeps arrival times per read.)
 */

export interface Arrival<T = Record<string, unknown>> {
  /** performance.now() when the read that completed this line arrived. */
  at: number;
  event: T;
}

export interface ReadOptions<T> {
  /** Called with each event as it is read (awaited before the next). */
  onEvent?(event: T): void | Promise<void>;
  /** After this event, the body is cancelled and what was read returned. */
  stopWhen?(event: T): boolean;
}

/**
 * Every line of the body, parsed (lines of white space alone, such as a disconnect probe, are
 * skipped); throws if the body ends in the middle of a line. Linear in the body: each read's text
 * is scanned once, and a long line (a 10 MB `done` event) is kept as pieces until its end arrives,
 * not re-scanned on every read.
 */
export async function readNdjsonTimed<T = Record<string, unknown>>(body: ReadableStream<Uint8Array>, options: ReadOptions<T> = {}): Promise<Arrival<T>[]> {
  const out: Arrival<T>[] = [];
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let pending: string[] = [];
  /** Parses the complete lines of `text`; true when `stopWhen` says to stop. */
  const take = async (text: string, at: number): Promise<boolean> => {
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", start)) >= 0) {
      const piece = text.slice(start, nl);
      const line = pending.length ? pending.join("") + piece : piece;
      pending = [];
      start = nl + 1;
      if (!line.trim()) continue;
      const event = JSON.parse(line) as T;
      out.push({ at, event });
      await options.onEvent?.(event);
      if (options.stopWhen?.(event)) return true;
    }
    if (start < text.length) pending.push(text.slice(start));
    return false;
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (await take(decoder.decode(value, { stream: true }), performance.now())) {
      await reader.cancel();
      return out;
    }
  }
  await take(decoder.decode(), performance.now());
  const rest = pending.join("");
  if (rest.trim()) throw new Error(`the stream ended mid-line: ${JSON.stringify(rest.slice(0, 80))}`);
  return out;
}
