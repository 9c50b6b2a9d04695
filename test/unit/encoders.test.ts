import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/schema/events";
import { ndjsonEncoder } from "../../src/stream/ndjson-encoder";
import { sseEncoder } from "../../src/stream/sse-encoder";
import { uiEncoder } from "../../src/ui/ui-encoder";

const events: RunEvent[] = [
  { type: "step", requestId: "req_1", step: { message_id: "m1", present_content: "开始", tool_type: "System", parameters: {}, tool_status: "Start" } },
  { type: "delta", requestId: "req_1", message_id: "m2", text: 'say "hi"\n\u2028😀' },
  { type: "delta", requestId: "req_1", message_id: "m2", text: "second" },
  { type: "delta", requestId: "req_1", message_id: "m3", text: "x" },
  { type: "done", code: 200, message: "成功", timestamp: "t", requestId: "req_1", data: { steps: [], answer: "a" } },
];
/** An event as the contract has it: a step's parameters (an object while the run keeps it) as their JSON text. */
const onWire = (e: RunEvent) => (e.type === "step" ? { ...e, step: { ...e.step, parameters: JSON.stringify(e.step.parameters) } } : e);
const numbered = events.map((e, i) => ({ ...onWire(e), seq: i + 1 }));

describe("ndjson", () => {
  it("writes one parseable line per event with its seq, deltas included", () => {
    const enc = ndjsonEncoder();
    const text = events.map((e, i) => enc.event(e, i + 1)).join("");
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l))).toEqual(numbered);
  });

  it("writes each event but a delta byte for byte as JSON.stringify({ ...event, seq }), seq last", () => {
    const enc = ndjsonEncoder();
    const more: RunEvent[] = [
      ...events,
      { type: "error", code: 502, message: "x", timestamp: "t", requestId: "req_1", data: { steps: [], answer: undefined } },
    ];
    const whole = more.filter((e) => e.type !== "delta"); // deltas: a prefix of their own (seq before text)
    whole.forEach((e, i) => expect(enc.event(e, i + 1)).toBe(JSON.stringify({ ...onWire(e), seq: i + 1 }) + "\n"));
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

describe("ui (the AI SDK's UI message stream): text", () => {
  it("writes text-start once per text part, then each delta byte for byte as JSON.stringify would", () => {
    const enc = uiEncoder();
    const text = events.map((e, i) => enc.event(e, i + 1)).join("");
    const expected = [
      { type: "start", messageId: "req_1", messageMetadata: { requestId: "req_1" } },
      { type: "data-step", id: "m1", data: (onWire(events[0]) as { step: object }).step },
      { type: "text-start", id: "m2" },
      { type: "text-delta", id: "m2", delta: 'say "hi"\n\u2028😀' },
      { type: "text-delta", id: "m2", delta: "second" },
      { type: "text-end", id: "m2" },
      { type: "text-start", id: "m3" },
      { type: "text-delta", id: "m3", delta: "x" },
      { type: "text-end", id: "m3" },
      { type: "finish", messageMetadata: { requestId: "req_1" } },
    ];
    expect(text).toBe(expected.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n");
  });
});

describe("ui (the AI SDK's UI message stream): tool approval", () => {
  const step = (id: string, status: "Start" | "Success" | "Error", parameters: Record<string, unknown>, observation?: string): RunEvent => ({
    type: "step",
    requestId: "req_1",
    step: { message_id: id, present_content: "…", tool_type: "MCP", parameters, tool_status: status, ...(observation ? { observation } : {}) },
  });
  const waiting = (tool: string) => ({ tool, server: "one", arguments: { q: 1 }, approval: "pending" });
  const request = (id: string, tool: string): RunEvent => ({ type: "approval_request", requestId: "req_1", approval_id: id, server: "one", tool, arguments: { q: 1 } });
  const chunks = (text: string) =>
    text
      .split("\n\n")
      .filter((block) => block.startsWith("data: {"))
      .map((block) => JSON.parse(block.slice("data: ".length)) as { type: string; [key: string]: unknown });

  it("asks for each waiting call's approval by its tool part, as the SDK's own flow does (two calls at once)", () => {
    const enc = uiEncoder();
    const text = [step("msg_a", "Start", waiting("echo")), request("apr_1", "echo"), step("msg_b", "Start", waiting("add")), request("apr_2", "add")]
      .map((e, i) => enc.event(e, i + 1))
      .join("");
    expect(chunks(text).filter((c) => c.type.startsWith("tool-"))).toEqual([
      { type: "tool-input-available", toolCallId: "msg_a", toolName: "echo", input: { q: 1 }, dynamic: true },
      { type: "tool-approval-request", approvalId: "apr_1", toolCallId: "msg_a" },
      { type: "tool-input-available", toolCallId: "msg_b", toolName: "add", input: { q: 1 }, dynamic: true },
      { type: "tool-approval-request", approvalId: "apr_2", toolCallId: "msg_b" },
    ]);
  });

  it("ends a paused response with finish and [DONE], closing open text first", () => {
    const enc = uiEncoder();
    enc.event({ type: "delta", requestId: "req_1", message_id: "m1", text: "hi" }, 1);
    expect(enc.pause!()).toBe('data: {"type":"text-end","id":"m1"}\n\ndata: {"type":"finish"}\n\ndata: [DONE]\n\n');
  });

  it("a response that goes on after a pause knows the calls sent before it: a denied or timed-out one ends as tool-output-denied, an approved one with its output", () => {
    const round = (status: "Start" | "Success"): RunEvent => ({ type: "step", requestId: "req_1", step: { message_id: "msg_r", present_content: "…", tool_type: "AzureOpenAI", parameters: {}, tool_status: status } });
    const seen = [round("Start"), { type: "delta", requestId: "req_1", message_id: "msg_r", text: "a" } as RunEvent, round("Success"), step("msg_a", "Start", waiting("echo")), request("apr_1", "echo"), step("msg_b", "Start", waiting("add")), request("apr_2", "add")];
    const enc = uiEncoder({ seen });
    const text = [
      step("msg_a", "Error", { ...waiting("echo"), approval: "denied" }, "Not approved: no"),
      step("msg_b", "Success", { ...waiting("add"), approval: "approved" }, "3"),
    ]
      .map((e, i) => enc.event(e, i + 5))
      .join("");
    expect(chunks(text).filter((c) => c.type !== "data-step")).toEqual([
      { type: "start", messageId: "req_1", messageMetadata: { requestId: "req_1" } },
      { type: "tool-output-denied", toolCallId: "msg_a" },
      { type: "tool-output-available", toolCallId: "msg_b", output: "3", dynamic: true },
    ]);
    expect(uiEncoder({ seen }).event(step("msg_a", "Error", { ...waiting("echo"), approval: "timed_out" }, "Not approved: timed out"), 5)).toContain('"type":"tool-output-denied"');
  });

  it("an approved call that fails is a tool error, not a denial", () => {
    const enc = uiEncoder({ seen: [step("msg_a", "Start", waiting("echo"))] });
    expect(chunks(enc.event(step("msg_a", "Error", { ...waiting("echo"), approval: "approved" }, "boom"), 3))[1]).toEqual({ type: "tool-output-error", toolCallId: "msg_a", errorText: "boom", dynamic: true });
  });

  it("with approvals: data (ai 5, which has no approval flow), a waiting call is a data-approval part and a denial a tool error", () => {
    const enc = uiEncoder({ approvals: "data" });
    // No pause ending: its responses go on to the end of the run.
    expect(enc.pause).toBeUndefined();
    const text = [step("msg_a", "Start", waiting("echo")), request("apr_1", "echo"), step("msg_a", "Error", { ...waiting("echo"), approval: "denied" }, "Not approved: no")]
      .map((e, i) => enc.event(e, i + 1))
      .join("");
    const sent = chunks(text);
    expect(sent.some((c) => c.type === "tool-approval-request" || c.type === "tool-output-denied")).toBe(false);
    expect(sent).toContainEqual({ type: "data-approval", id: "apr_1", data: { approval_id: "apr_1", server: "one", tool: "echo", arguments: { q: 1 } } });
    expect(sent).toContainEqual({ type: "tool-output-error", toolCallId: "msg_a", errorText: "Not approved: no", dynamic: true });
  });
});
