/**
 * No failure of ours leaves a stream open: whatever the run does (throws at once, rejects midway,
 * emits an event the encoder cannot write, ends with an envelope too large to encode, a tool
 * source that breaks its promise never to throw), the stream ends with exactly one terminal event,
 * and the unexpected ones are a generic 500 whose stack goes to the log, not to the client.
 */
import { describe, expect, it } from "vitest";
import { runChat } from "../../src/chat/run";
import type { RunResult, RunSink } from "../../src/chat/run-result";
import { azureClient } from "../../src/chat/upstream";
import { readConfig } from "../../src/config";
import { envelope } from "../../src/errors";
import { combineToolSources } from "../../src/mcp/tool-set";
import type { ToolSource } from "../../src/mcp/types";
import type { ChatEvent, RunEvent } from "../../src/schema/events";
import { streamResponse } from "../../src/stream/respond";
import { env } from "cloudflare:workers";

const settings = { heartbeatMs: 0, probeMs: 0, maxBufferedBytes: 1 << 20 };

async function streamOf(run: (sink: RunSink) => Promise<RunResult>) {
  let finished!: (r: RunResult) => void;
  const result = new Promise<RunResult>((resolve) => (finished = resolve));
  const res = streamResponse("ndjson", settings, { requestId: "req_test", run, waitUntil: () => {}, onFinish: (r) => finished(r) });
  const text = await res.text();
  const events = text.trimEnd().split("\n").map((line) => JSON.parse(line) as ChatEvent);
  const terminals = events.filter((e) => e.type === "done" || e.type === "error");
  expect(terminals).toHaveLength(1);
  expect(events.at(-1)).toBe(terminals[0]);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  return { events, end: terminals[0] as ChatEvent & { type: "error" | "done" }, result: await result };
}

const step: Extract<RunEvent, { type: "step" }> = { type: "step", requestId: "req_test", step: { message_id: "m1", present_content: "x", tool_type: "System", parameters: {}, tool_status: "Start" } };

describe("a run that fails in our own code", () => {
  it("throwing before its first event: a 500 error event, the stack kept for the log", async () => {
    const { events, end, result } = await streamOf(() => {
      throw new TypeError("boom at start");
    });
    expect(events).toHaveLength(1);
    expect(end).toMatchObject({ type: "error", code: 500, message: "Internal error" });
    expect(JSON.stringify(end)).not.toContain("boom");
    expect(result.internalError).toMatch(/TypeError: boom at start/);
  });

  it("rejecting after some events: they arrive, then the 500 error event", async () => {
    const { events, end } = await streamOf(async (sink) => {
      sink.emit(step);
      await new Promise((r) => setTimeout(r, 5));
      throw new RangeError("boom midway");
    });
    expect(events[0]).toMatchObject({ type: "step", seq: 1 });
    expect(end).toMatchObject({ type: "error", code: 500, seq: 2 });
  });

  it("emitting an event the encoder cannot write (a BigInt): a 500 error event, numbered without a gap", async () => {
    const { end, result } = await streamOf(async (sink) => {
      sink.emit({ ...step, step: { ...step.step, parameters: 1n as unknown as Record<string, unknown> } });
      return { ok: true, outcome: "done", headers: {}, summary: { rounds: 0, tools: [] }, envelope: envelope(200, "ok", "req_test", { steps: [] }) };
    });
    expect(end).toMatchObject({ type: "error", code: 500 });
    expect(result.internalError).toMatch(/BigInt/);
  });

  it("ending with a terminal envelope that cannot be encoded: a 500 error event with the steps takes its place", async () => {
    const steps = [{ ...step.step, tool_status: "Success" as const, observation: "ok", execution_duration: 1 }];
    const { end } = await streamOf(async () => ({
      ok: true,
      outcome: "done",
      headers: {},
      summary: { rounds: 1, tools: [] },
      envelope: { ...envelope(200, "ok", "req_test", { steps }), data: { steps, answer: "x", usage: { prompt_tokens: 1n } as never } },
    }));
    expect(end).toMatchObject({ type: "error", code: 500, data: { steps } });
  });
});

describe("a tool source that breaks its promise never to throw", () => {
  const chat = (tools: ToolSource) => (sink: RunSink) =>
    runChat({
      config: readConfig(env),
      client: azureClient(readConfig(env).azure, 5000, readConfig(env).redact),
      request: { user_id: "u", query: [{ role: "user", content: "[[fake:tools]] call a tool" }] },
      imageCount: 0,
      lang: "en",
      requestId: "req_test",
      tools: combineToolSources([{ label: "mcp", source: tools, approval: "never" }]),
      sink,
    });

  it("listTools throwing a non-Error: an MCP Error step, and the chat still ends in done", async () => {
    const { end, events } = await streamOf(chat({ listTools: () => Promise.reject("not an Error"), callTool: () => Promise.reject(new Error("unused")) }));
    expect(end.type).toBe("done");
    expect(events.some((e) => e.type === "step" && e.step.tool_type === "MCP" && e.step.tool_status === "Error")).toBe(true);
  });

  it("callTool throwing: the stream ends with a 500 error event (not a hang), the stack for the log", async () => {
    const tools: ToolSource = {
      listTools: async () => [{ name: "search", serverName: "search", parameters: { type: "object", properties: {} } }],
      callTool: () => {
        throw new Error("tool source bug");
      },
    };
    const { end, result } = await streamOf(chat(tools));
    expect(end).toMatchObject({ type: "error", code: 500, message: "Internal error" });
    expect(result.internalError).toMatch(/tool source bug/);
    expect(end.data.steps.find((s) => s.tool_type === "System")?.tool_status).toBe("Error");
  });
});
