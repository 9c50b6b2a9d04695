/**
 * The writer's batching: events pushed in one burst leave in one write, on a microtask; between
 * `hold()` and `release()` (a run's upstream read) they leave at `release()`, with no microtask;
 * backpressure counts them as soon as they are pushed. EventLog.hold() does the same for every
 * live reader, one that starts to follow during the hold included; a reader catching up on a
 * backlog stops at about one buffer when its client does not read.
 */
import { describe, expect, it } from "vitest";
import { EventLog } from "../../src/resume/event-log";
import type { RunEvent } from "../../src/schema/events";
import { EventWriter } from "../../src/stream/event-writer";
import { ndjsonEncoder } from "../../src/stream/ndjson-encoder";

const decoder = new TextDecoder();
const delta = (text: string): RunEvent => ({ type: "delta", requestId: "req_1", message_id: "m1", text });
const writer = (maxBufferedBytes = 1 << 20) =>
  new EventWriter(ndjsonEncoder(), { requestId: "req_1", heartbeatMs: 0, probeMs: 0, maxBufferedBytes, onCancel() {} });

/** Each write as the client reads it (one read per write), until the body ends. */
async function writes(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const bytes of stream as unknown as AsyncIterable<Uint8Array>) out.push(decoder.decode(bytes));
  return out;
}
const texts = (write: string) => write.trim().split("\n").map((line) => (JSON.parse(line) as { text: string }).text);

describe("EventWriter batching", () => {
  it("writes a burst once, on a microtask; a held burst at release, synchronously, after what was pending", async () => {
    const w = writer();
    const read = writes(w.stream);
    w.push(delta("a"), 1);
    w.push(delta("b"), 2);
    await Promise.resolve(); // the microtask's write
    w.push(delta("c"), 3); // pending, its microtask not yet run
    w.hold();
    w.push(delta("d"), 4);
    w.hold(); // nested: only the outer release writes
    w.push(delta("e"), 5);
    w.release();
    expect(w.ready()).toBeUndefined();
    w.release();
    w.release(); // unmatched: nothing happens
    w.close();
    expect((await read).map(texts)).toEqual([["a", "b"], ["c", "d", "e"]]);
  });

  it("counts a held burst for backpressure as soon as it is pushed, before it is written", async () => {
    const w = writer(10);
    const reader = w.stream.getReader();
    w.hold();
    w.push(delta("0123456789"), 1);
    // Not written yet, but already more than the bound: a caller pushing a backlog stops here.
    expect(w.ready()).toBeInstanceOf(Promise);
    w.release();
    const behind = w.ready();
    expect(behind).toBeInstanceOf(Promise);
    const first = await reader.read();
    expect(texts(decoder.decode(first.value))).toEqual(["0123456789"]);
    await behind; // the client took it
    expect(w.ready()).toBeUndefined();
    w.close();
    expect((await reader.read()).done).toBe(true);
  });
});

describe("EventLog hold", () => {
  it("holds every live reader's writer, one that starts to follow during the hold too", async () => {
    const log = new EventLog("req_1");
    const early = writer();
    const readEarly = writes(early.stream);
    log.follow(early, 0);
    log.append(delta("a"));
    await Promise.resolve();
    log.hold();
    log.append(delta("b"));
    const late = writer();
    const readLate = writes(late.stream);
    log.follow(late, 0);
    log.append(delta("c"));
    log.release();
    log.release(); // unmatched: nothing happens
    log.append({ type: "done", code: 200, message: "ok", timestamp: "t", requestId: "req_1", data: { steps: [], answer: "abc" } });
    const earlyWrites = await readEarly;
    const lateWrites = await readLate;
    expect(earlyWrites.slice(0, 2).map(texts)).toEqual([["a"], ["b", "c"]]);
    expect(texts(lateWrites[0])).toEqual(["a", "b", "c"]);
    expect(JSON.parse(earlyWrites.at(-1)!.trim().split("\n").at(-1)!)).toMatchObject({ type: "done", seq: 4 });
    expect(JSON.parse(lateWrites.at(-1)!.trim().split("\n").at(-1)!)).toMatchObject({ type: "done", seq: 4 });
  });
});

describe("EventLog readers of a backlog", () => {
  it("give a reader that never reads about one buffer of a 5 MB backlog, not the whole of it", async () => {
    const events: RunEvent[] = [];
    for (let i = 0; i < 5_000; i++) events.push(delta("x".repeat(1_000)));
    events.push({ type: "done", code: 200, message: "ok", timestamp: new Date(0).toISOString(), requestId: "req_1", data: { steps: [] } });
    const log = new EventLog("req_1", events);
    let encoded = 0;
    const base = ndjsonEncoder();
    const counting = { ...base, event: (event: RunEvent, seq: number) => {
      const text = base.event(event, seq);
      encoded += text.length;
      return text;
    } };
    const stalled = new EventWriter(counting, { requestId: "req_1", heartbeatMs: 0, probeMs: 0, maxBufferedBytes: 64 * 1024, onCancel() {} });
    log.follow(stalled, 0);
    // Let every microtask and write settle: nothing more is taken.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    expect(encoded).toBeGreaterThan(64 * 1024);
    expect(encoded).toBeLessThan(64 * 1024 + 2_000);
    // A reader that reads gets all of it.
    const reading = writer(64 * 1024);
    log.follow(reading, 0);
    const all = (await writes(reading.stream)).join("");
    expect(all.trimEnd().split("\n")).toHaveLength(5_001);
  });
});
