/**
 * Reads an NDJSON response body (the chat stream's default format) as it arrives, each event
 * stamped with the time its bytes were read: for tests and the load script that check the stream
 * is incremental, not only complete. (The typed client's readNdjson in client/src is what an
 * application uses; this one keeps arrival times per read.)
 */

export interface Arrival<T = Record<string, unknown>> {
  /** performance.now() when the read that completed this line arrived. */
  at: number;
  event: T;
}

/**
 * Every line of the body, parsed; throws if the body ends in the middle of a line. Linear in the
 * body: each read's text is scanned once, and a long line (a 10 MB `done` event) is kept as pieces
 * until its end arrives, not re-scanned on every read.
 */
export async function readNdjsonTimed<T = Record<string, unknown>>(body: ReadableStream<Uint8Array>): Promise<Arrival<T>[]> {
  const out: Arrival<T>[] = [];
  const decoder = new TextDecoder();
  let pending: string[] = [];
  const take = (text: string, at: number) => {
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", start)) >= 0) {
      const piece = text.slice(start, nl);
      const line = pending.length ? pending.join("") + piece : piece;
      pending = [];
      out.push({ at, event: JSON.parse(line) as T });
      start = nl + 1;
    }
    if (start < text.length) pending.push(text.slice(start));
  };
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) take(decoder.decode(bytes, { stream: true }), performance.now());
  take(decoder.decode(), performance.now());
  const rest = pending.join("");
  if (rest) throw new Error(`the stream ended mid-line: ${JSON.stringify(rest.slice(0, 80))}`);
  return out;
}
