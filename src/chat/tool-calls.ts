/**
 * The tool calls one model round asked for, run in parallel, each an MCP step; the results go
 * back to the model as `tool` messages with their `tool_call_id`. A failing tool is an Error step
 * and an error result the model reads, never a failed chat.
 */
import type { ChatCompletionMessageFunctionToolCall, ChatCompletionToolMessageParam } from "openai/resources/chat/completions";
import type { ToolSource, ToolSpec } from "../mcp/types";
import type { Texts } from "../steps/i18n";
import type { StepRecorder } from "../steps/recorder";

/** What the model is told, and the call's outcome for the run's summary. */
export interface ToolReply {
  message: ChatCompletionToolMessageParam;
  outcome: { name: string; ok: boolean };
}

export async function runToolCalls(
  source: ToolSource,
  calls: ChatCompletionMessageFunctionToolCall[],
  offered: ToolSpec[],
  steps: StepRecorder,
  t: Texts,
  signal: AbortSignal,
): Promise<ToolReply[]> {
  return Promise.all(
    calls.map(async (call): Promise<ToolReply> => {
      const { name, arguments: raw } = call.function;
      const spec = offered.find((tool) => tool.name === name);
      const step = steps.start("MCP", t.toolStart(name), {
        tool: name,
        ...(spec && spec.serverName !== name ? { server_tool: spec.serverName } : {}),
        arguments: parseOrRaw(raw),
      });
      const result = await source.callTool(name, raw, signal);
      if (signal.aborted) throw signal.reason;
      if (result.ok) step.success(result.text, t.toolDone(name));
      else step.error(result.text, t.toolError(name));
      return {
        message: { role: "tool", tool_call_id: call.id, content: result.ok ? result.text : `Error: ${result.text}` },
        outcome: { name: name.slice(0, 64), ok: result.ok },
      };
    }),
  );
}

function parseOrRaw(raw: string): unknown {
  try {
    return JSON.parse(raw || "{}");
  } catch {
    return raw;
  }
}
