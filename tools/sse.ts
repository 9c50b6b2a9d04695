/** Test helpers: read a fetch Response as raw pieces and parse SSE `data:` payloads. */
import { createParser } from "eventsource-parser";

/** The `data` of each SSE event (comments and blank lines ignored). */
export function sseData(text: string): string[] {
  const out: string[] = [];
  const parser = createParser({ onEvent: (e) => out.push(e.data) });
  parser.feed(text);
  return out;
}

/** The JSON chunks of an SSE body, and whether it ended with `[DONE]`. */
export function sseChunks(text: string): { chunks: any[]; done: boolean } {
  const data = sseData(text);
  const done = data[data.length - 1] === "[DONE]";
  return { chunks: data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d)), done };
}

/** Reads a body to the end, keeping each read separately (with its arrival time). */
export async function readPieces(res: Response): Promise<{ pieces: Uint8Array[]; times: number[]; text: string }> {
  const pieces: Uint8Array[] = [];
  const times: number[] = [];
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pieces.push(value);
    times.push(performance.now());
  }
  const all = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of pieces) { all.set(p, off); off += p.length; }
  return { pieces, times, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all) };
}

/** Content text of stream chunks, concatenated. */
export function contentOf(chunks: any[]): string {
  return chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
}
