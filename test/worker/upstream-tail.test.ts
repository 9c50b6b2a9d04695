/**
 * What happens to Azure's body after `data: [DONE]`: the round ends at once, and the body is read
 * to its end in the background rather than cancelled (a cancelled body closes its connection to the
 * upstream, and the next request pays a new TCP and TLS handshake before its first text); a tail
 * that goes on too long, or never ends, is cancelled. Bodies built from Azure's own SSE bytes.
 */
import { describe, expect, it } from "vitest";
import { pumpChunks, TAIL_MAX_BYTES, TAIL_MAX_MS } from "../../src/chat/chunks";

const utf8 = new TextEncoder();
const CONTENT = 'data: {"choices":[{"content_filter_results":{},"delta":{"content":"hi"},"finish_reason":null,"index":0}],"created":1,"id":"c","model":"gpt-4.1","object":"chat.completion.chunk"}\n\n';
const DONE = "data: [DONE]\n\n";

/** A body that serves `reads` one per pull, then ends (or, with `open`, keeps waiting); it says whether it was cancelled and whether it was read to its end. */
function body(reads: string[], { open = false } = {}) {
  let cancelled!: (reason: unknown) => void;
  const state = { readToEnd: false, cancelled: new Promise<unknown>((resolve) => (cancelled = resolve)), wasCancelled: false };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (i < reads.length) return controller.enqueue(utf8.encode(reads[i++]));
        if (open) return new Promise(() => {});
        state.readToEnd = true;
        controller.close();
      },
      cancel(reason) {
        state.wasCancelled = true;
        cancelled(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

const options = () => ({ idleTimeoutMs: 30_000, signal: new AbortController().signal });

describe("the body after [DONE]", () => {
  it("is read to its end, not cancelled, so that its connection can serve the next request", async () => {
    const { stream, state } = body([CONTENT, DONE, ": trailing comment\n\n"]);
    const texts: string[] = [];
    await pumpChunks(stream, (chunk) => texts.push(chunk.choices[0].delta.content ?? ""), options());
    expect(texts).toEqual(["hi"]);
    // The round returned at [DONE]; the rest is read in the background.
    await expect.poll(() => state.readToEnd).toBe(true);
    expect(state.wasCancelled).toBe(false);
  });

  it(`is cancelled once more than ${TAIL_MAX_BYTES} bytes follow it`, async () => {
    const { stream, state } = body([CONTENT, DONE, ...Array.from({ length: 40 }, () => `: ${"x".repeat(4096)}\n`)]);
    await pumpChunks(stream, () => {}, options());
    await state.cancelled;
    expect(state.readToEnd).toBe(false);
  });

  it(`is cancelled when it does not end within ${TAIL_MAX_MS} ms`, async () => {
    const { stream, state } = body([CONTENT, DONE], { open: true });
    const started = Date.now();
    await pumpChunks(stream, () => {}, options());
    expect(Date.now() - started).toBeLessThan(TAIL_MAX_MS);
    await state.cancelled;
    expect(Date.now() - started).toBeGreaterThanOrEqual(TAIL_MAX_MS - 50);
  });

  it("a run stopped before [DONE] still cancels the body at once", async () => {
    const { stream, state } = body([CONTENT], { open: true });
    const abort = new AbortController();
    const pumping = pumpChunks(stream, () => abort.abort(new Error("stopped")), { ...options(), signal: abort.signal });
    await expect(pumping).rejects.toThrow("stopped");
    await state.cancelled;
  });
});
