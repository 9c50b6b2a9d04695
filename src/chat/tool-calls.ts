/**
 * The tool calls one model round asked for, run in parallel, each an MCP step; the results go
 * back to the model as `tool` messages with their `tool_call_id`. A failing tool is an Error step
 * and an error result the model reads, never a failed chat. A call whose server asks for approval
 * first announces an `approval_request` and waits, independently of the others: approved, it runs;
 * denied or unanswered in time, its step ends `Error` with the reason and the model is told the
 * user declined. The step's `parameters` keep the approval's state (`pending`, then `approved`,
 * `denied` or `timed_out`).
 *
 * Only a tool that was offered in this run is called: any other name is refused as unknown (an
 * Error step; the model is told which tools it has), so a tool held back because it needs an
 * approval nobody can give never runs.
 *
 * Each call's `Start` step and, when it waits, its `approval_request` are emitted back to back,
 * before anything of the round is awaited. Whenever nothing of the round is left to do but wait
 * for people (every call either done or waiting), the gate is told (`idle`): the AI SDK dialect
 * ends its stream there, as the SDK's own approval flow expects.
 */
import type { ChatCompletionMessageFunctionToolCall, ChatCompletionToolMessageParam } from "openai/resources/chat/completions";
import { unknownToolText } from "../mcp/tool-names";
import type { ToolSet, ToolSpec } from "../mcp/types";
import type { Texts } from "../steps/i18n";
import type { StepRecorder } from "../steps/recorder";
import { newApprovalId, type ApprovalGate } from "./approvals";

/** What the model is told, and the call's outcome for the run's summary. */
export interface ToolReply {
  message: ChatCompletionToolMessageParam;
  outcome: { name: string; ok: boolean };
}

export interface ApprovalOptions {
  gate?: ApprovalGate;
  timeoutMs: number;
  announce(request: { approval_id: string; server: string; tool: string; arguments: unknown }): void;
}

export async function runToolCalls(
  source: ToolSet | undefined,
  calls: ChatCompletionMessageFunctionToolCall[],
  offered: ToolSpec[],
  steps: StepRecorder,
  t: Texts,
  signal: AbortSignal,
  approvals?: ApprovalOptions,
): Promise<ToolReply[]> {
  // Calls running (not waiting for a person, not done), and calls waiting for a person.
  let running = 0;
  let waiting = 0;
  const idleIfOnlyWaiting = () => {
    if (waiting > 0 && running === 0) approvals?.gate?.idle?.();
  };
  const replies = calls.map(async (call): Promise<ToolReply> => {
    const { name, arguments: raw } = call.function;
    const spec = offered.find((tool) => tool.name === name);
    const args = parseOrRaw(raw);
    const waits = Boolean(spec?.approval && approvals?.gate);
    const parameters = {
      tool: name,
      ...(spec?.server ? { server: spec.server } : {}),
      ...(spec && spec.serverName !== name ? { server_tool: spec.serverName } : {}),
      arguments: args,
      ...(waits ? { approval: "pending" } : {}),
    };
    const step = steps.start("MCP", waits ? t.toolWaiting(name) : t.toolStart(name), parameters);
    const reply = (ok: boolean, text: string): ToolReply => ({
      message: { role: "tool", tool_call_id: call.id, content: ok ? text : `Error: ${text}` },
      outcome: { name: name.slice(0, 64), ok },
    });

    // Only what was offered runs: a name the model was not given (a tool held back for approval,
    // over the limit, or none configured) is refused as unknown, whatever it would route to.
    if (!spec || !source) {
      const text = unknownToolText(name, offered.map((tool) => tool.name));
      step.error(text, t.toolError(name));
      return reply(false, text);
    }

    if (waits) {
      const approvalId = newApprovalId();
      approvals!.announce({ approval_id: approvalId, server: spec!.server ?? "", tool: spec!.serverName, arguments: args });
      waiting++;
      const decision = await approvals!.gate!.wait(approvalId, approvals!.timeoutMs, signal);
      waiting--;
      if (signal.aborted) throw signal.reason;
      step.setParameters({ ...parameters, approval: decision.approve ? "approved" : decision.timedOut ? "timed_out" : "denied" });
      if (!decision.approve) {
        const reason = decision.reason?.trim() || (decision.timedOut ? t.approvalTimedOut : t.approvalDenied);
        step.error(`Not approved: ${reason}`, t.toolDenied(name, reason));
        idleIfOnlyWaiting();
        return reply(false, `The user declined this tool call (${reason}). Do not call it again for this request; answer without it.`);
      }
    }

    running++;
    try {
      const result = await source.callTool(name, raw, signal);
      if (signal.aborted) throw signal.reason;
      if (result.ok) step.success(result.text, t.toolDone(name));
      else step.error(result.text, t.toolError(name));
      return reply(result.ok, result.text);
    } finally {
      running--;
      if (!signal.aborted) idleIfOnlyWaiting();
    }
  });
  // Every call has started (and announced its approval) by now: wait here if that is all there is.
  idleIfOnlyWaiting();
  return Promise.all(replies);
}

function parseOrRaw(raw: string): unknown {
  try {
    return JSON.parse(raw || "{}");
  } catch {
    return raw;
  }
}
