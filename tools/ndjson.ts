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

/** Every line of the body, parsed; throws if the body ends in the middle of a line. */
export async function readNdjsonTimed<T = Record<string, unknown>>(body: ReadableStream<Uint8Array>): Promise<Arrival<T>[]> {
  const out: Arrival<T>[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    const at = performance.now();
    buffered += decoder.decode(bytes, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      out.push({ at, event: JSON.parse(buffered.slice(0, nl)) as T });
      buffered = buffered.slice(nl + 1);
    }
  }
  buffered += decoder.decode();
  if (buffered) throw new Error(`the stream ended mid-line: ${JSON.stringify(buffered.slice(0, 80))}`);
  return out;
}
