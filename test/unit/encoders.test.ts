import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/schema/events";
import { ndjsonEncoder } from "../../src/stream/ndjson-encoder";
import { sseEncoder } from "../../src/stream/sse-encoder";

const events: RunEvent[] = [
  { type: "step", requestId: "req_1", step: { message_id: "m1", present_content: "开始", tool_type: "System", parameters: "{}", tool_status: "Start" } },
  { type: "delta", requestId: "req_1", message_id: "m2", text: 'say "hi"\n\u2028😀' },
  { type: "delta", requestId: "req_1", message_id: "m2", text: "second" },
  { type: "delta", requestId: "req_1", message_id: "m3", text: "x" },
  { type: "done", code: 200, message: "成功", timestamp: "t", requestId: "req_1", data: { steps: [], answer: "a" } },
];
const numbered = events.map((e, i) => ({ ...e, seq: i + 1 }));

describe("ndjson", () => {
  it("writes one parseable line per event with its seq, deltas included", () => {
    const enc = ndjsonEncoder();
    const text = events.map((e, i) => enc.event(e, i + 1)).join("");
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l))).toEqual(numbered);
  });

  it("pings with the last seq, and its probe is white space a JSON parser skips", () => {
    const enc = ndjsonEncoder();
    expect(JSON.parse(enc.ping("req_1", 7))).toEqual({ type: "ping", requestId: "req_1", seq: 7 });
    expect(enc.probe.trim()).toBe("");
    expect(JSON.parse(enc.probe + enc.event(events[0], 1))).toEqual(numbered[0]);
  });
});

describe("sse", () => {
  it("writes id, event and data lines, one JSON per data line", () => {
    const enc = sseEncoder();
    const text = events.map((e, i) => enc.event(e, i + 1)).join("");
    const blocks = text.split("\n\n").filter(Boolean);
    expect(blocks).toHaveLength(events.length);
    blocks.forEach((block, i) => {
      const [idLine, eventLine, dataLine, ...rest] = block.split("\n");
      expect(rest).toEqual([]);
      expect(idLine).toBe(`id: ${i + 1}`);
      expect(eventLine).toBe(`event: ${events[i].type}`);
      expect(JSON.parse(dataLine.slice("data: ".length))).toEqual(numbered[i]);
    });
  });

  it("pings and probes with comment lines", () => {
    const enc = sseEncoder();
    expect(enc.ping("req_1", 3)).toBe(": ping\n\n");
    expect(enc.probe.startsWith(":")).toBe(true);
  });
});
