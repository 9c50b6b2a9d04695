import { describe, expect, it } from "vitest";
import { ndjsonEncoder } from "../../src/encoders/ndjson";
import { sseEncoder } from "../../src/encoders/sse";
import type { ChatEvent } from "../../src/schema/events";

const events: ChatEvent[] = [
  { type: "step", requestId: "req_1", step: { message_id: "m1", present_content: "开始", tool_type: "System", parameters: "{}", tool_status: "Start" } },
  { type: "delta", requestId: "req_1", message_id: "m2", text: 'say "hi"\n\u2028😀' },
  { type: "delta", requestId: "req_1", message_id: "m3", text: "x" },
  { type: "done", code: 200, message: "成功", timestamp: "t", requestId: "req_1", data: { steps: [], answer: "a" } },
];

describe("ndjson", () => {
  it("writes one parseable line per event, deltas included", () => {
    const enc = ndjsonEncoder();
    const text = events.map((e) => enc.encode(e)).join("");
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
  });
});

describe("sse", () => {
  it("writes event and data lines, one JSON per data line", () => {
    const enc = sseEncoder();
    const text = events.map((e) => enc.encode(e)).join("");
    const blocks = text.split("\n\n").filter(Boolean);
    expect(blocks).toHaveLength(events.length);
    blocks.forEach((block, i) => {
      const [eventLine, dataLine, ...rest] = block.split("\n");
      expect(rest).toEqual([]);
      expect(eventLine).toBe(`event: ${events[i].type}`);
      expect(JSON.parse(dataLine.slice("data: ".length))).toEqual(events[i]);
    });
  });
});
