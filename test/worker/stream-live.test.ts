/**
 * A streamed chat starts at once and stays alive: the first step before Azure answers, `seq`
 * without gaps, keep-alives while the stream is quiet, a client that leaves while nothing is
 * written noticed within about a second, and backpressure for a client that reads slowly.
 */
import { describe, expect, it } from "vitest";
import { fakeRequests, newNonce, scriptFake, waitForFake } from "../../tools/fakes/fake-azure-client";
import { readNdjsonTimed } from "../../tools/ndjson";
import { fakeUrl, post, settled, userText } from "./helpers";

const decoder = new TextDecoder();

/** Reads NDJSON lines as they arrive, with the time each came. */
const readTimed = (res: Response) => readNdjsonTimed(res.body!);

describe("the stream starts at once", () => {
  it("sends the System step before a slow Azure has answered (a retried 503 with retry-after-ms=1000)", async () => {
    const nonce = newNonce();
    const started = Date.now();
    const res = await post(userText(`[[fake:error status=503 fail=1 retry_after_ms=1000 nonce=${nonce}]] ${nonce}`));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = JSON.parse(decoder.decode((await reader.read()).value).split("\n")[0]);
    const firstAt = Date.now() - started;
    expect(first).toMatchObject({ type: "step", seq: 1, step: { tool_type: "System", tool_status: "Start" } });
    // Azure's answer only comes after the 1 s retry wait.
    expect(firstAt).toBeLessThan(800);
    await reader.cancel();
  });

  it("numbers every event 1, 2, 3, … without gaps, the terminal one included", async () => {
    const lines = await readTimed(await post(userText("[[fake:chunks n=50]]")));
    expect(lines.map((l) => l.event.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.at(-1)!.event.type).toBe("done");
  });
});

describe("keep-alives", () => {
  it("sends pings during a pause between chunks, each repeating the last event's seq", async () => {
    const lines = await readTimed(await post(userText("[[fake:chunks n=2 delay=400]]"), { env: { HEARTBEAT_MS: "150" } }));
    const pings = lines.filter((l) => l.event.type === "ping");
    expect(pings.length).toBeGreaterThanOrEqual(3);
    const events = lines.filter((l) => l.event.type !== "ping");
    expect(events.map((l) => l.event.seq)).toEqual(events.map((_, i) => i + 1));
    for (const ping of pings) {
      const before = lines.slice(0, lines.indexOf(ping)).filter((l) => l.event.type !== "ping").at(-1);
      expect(ping.event.seq).toBe(before?.event.seq ?? 0);
      expect(ping.event.requestId).toBe(events[0].event.requestId);
    }
    expect(events.at(-1)!.event.type).toBe("done");
  });

  it("sends SSE keep-alives as `: ping` comment lines", async () => {
    const res = await post(userText("[[fake:chunks n=1 delay=400]]"), { accept: "text/event-stream", env: { HEARTBEAT_MS: "150" } });
    const text = await res.text();
    expect(text).toMatch(/\n\n: ping\n\n/);
    expect(text.trimEnd().endsWith("}")).toBe(true);
  });

  it("sends no ping when HEARTBEAT_MS=0", async () => {
    const lines = await readTimed(await post(userText("[[fake:chunks n=1 delay=300]]"), { env: { HEARTBEAT_MS: "0" } }));
    expect(lines.some((l) => l.event.type === "ping")).toBe(false);
  });
});

describe("a client that leaves while nothing is written (DISCONNECT_PROBE_MS at its default, 250)", () => {
  it.each([
    ["NDJSON (its probe is a space)", "application/x-ndjson"],
    ["SSE (its probe is an empty comment line)", "text/event-stream"],
  ])("in %s, is noticed within a second while Azure has not started answering: the upstream request is closed", async (_, accept) => {
    const nonce = newNonce();
    const res = await post(userText(`[[fake:hang_start]] ${nonce}`), { accept, env: { UPSTREAM_TIMEOUT_MS: "20000", HEARTBEAT_MS: "0" } });
    const reader = res.body!.getReader();
    await reader.read();
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1);
    await reader.cancel();
    const cancelledAt = Date.now();
    const [record] = await waitForFake(fakeUrl(), nonce, (r) => r[0]?.closedByClientAt !== null, 5000);
    expect(record.closedByClientAt! - cancelledAt).toBeLessThan(1000);
  });

  it("DISCONNECT_PROBE_MS=0 turns the probes off: a quiet stream gets no bytes", async () => {
    const nonce = newNonce();
    const res = await post(userText(`[[fake:chunks n=1 delay=700]] ${nonce}`), { env: { HEARTBEAT_MS: "0", DISCONNECT_PROBE_MS: "0" } });
    const text = await res.text();
    // Nothing but the events' lines: no probe space before any of them.
    expect(text.split("\n").filter(Boolean).every((line) => line.startsWith("{"))).toBe(true);
  });

  it("during a retry wait: the retry is never sent", async () => {
    const nonce = newNonce();
    const res = await post(userText(`[[fake:error status=503 fail=1 retry_after_ms=2500 nonce=${nonce}]] ${nonce}`), { env: { HEARTBEAT_MS: "0" } });
    const reader = res.body!.getReader();
    await reader.read();
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1);
    await reader.cancel();
    // Once the run is over nothing more can be sent: it ended during the wait, without the retry.
    await settled(res);
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(1);
  });
});

describe("backpressure", () => {
  it("stops reading Azure while the client does not read, and loses nothing once it does", async () => {
    const nonce = newNonce();
    const piece = "x".repeat(8000);
    const chunk = `data: {"choices":[{"index":0,"delta":{"content":"${piece}"},"finish_reason":null}]}\n\n`;
    const count = 1500; // 12 MB of answer: more than every buffer between here and the fake.
    // Written 64 KiB at a time, each write waiting until the connection takes it.
    await scriptFake(fakeUrl(), nonce, [
      { raw: chunk.repeat(count) + 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n', split: 65536, pause: 0 },
    ]);
    const res = await post(userText(`big ${nonce}`), { env: { MAX_ANSWER_CHARS: "50000000", STREAM_BUFFER_BYTES: "65536" } });
    // Nobody reads the response: the Worker stops reading Azure, so the fake's write waits (for a
    // whole second: not the gap between two reads), or, were it read regardless, the fake finishes
    // (or the Worker gives up on the upstream request).
    const [stalled] = await waitForFake(fakeUrl(), nonce, (r) => r[0] !== undefined && (r[0].blockedMs >= 1000 || r[0].finished || r[0].closedByClientAt !== null), 20_000);
    // The fake could not send it all, and the upstream request is still open.
    expect(stalled.finished).toBe(false);
    expect(stalled.closedByClientAt).toBeNull();
    expect(stalled.sentBytes).toBeLessThan(chunk.length * count);
    const lines = await readTimed(res);
    const end = lines.at(-1)!.event as { type: string; data: { answer: string } };
    expect(end.type).toBe("done");
    expect(end.data.answer.length).toBe(piece.length * count);
  }, 30_000);
});

describe("MAX_ANSWER_CHARS", () => {
  it("ends an answer that grows past it with a 502 error event that says so", async () => {
    const lines = await readTimed(await post(userText("[[fake:chunks n=200]]"), { env: { MAX_ANSWER_CHARS: "100" } }));
    const end = lines.at(-1)!.event as { type: string; code: number; message: string; data: { answer?: string } };
    expect(end).toMatchObject({ type: "error", code: 502 });
    expect(end.message).toMatch(/MAX_ANSWER_CHARS/);
    expect(end.data.answer!.length).toBeLessThanOrEqual(100);
  });
});
