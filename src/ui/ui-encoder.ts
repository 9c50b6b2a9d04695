/**
 * The Vercel AI SDK's UI message stream (SSE, `x-vercel-ai-ui-message-stream: v1`) from chatapi's
 * events, for `useChat` with `DefaultChatTransport`: `start`; per model round `start-step`,
 * `text-start` / `text-delta` / `text-end`, `finish-step`; each MCP tool call as a dynamic tool
 * (input, then output or error); each step as a `data-step` part whose `id` is the step's
 * `message_id` (so it updates in place); the end as `finish` with `messageMetadata`
 * `{requestId, usage}`, or an `error` part (a stopped run: `abort`); then `data: [DONE]`.
 * Keep-alives are SSE comments: the SDK rejects chunk types it does not know. Only fields that ai 5,
 * 6 and 7 all accept are sent, except for approvals (ai 5 has no approval flow).
 *
 * Approvals follow the AI SDK's own flow (ai 6 and 7): a call that waits is a
 * `tool-approval-request` for its tool part, and the response ends (`finish`) where the run waits
 * for people (see EventLog's pauses), so that `addToolApprovalResponse` and
 * `sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses` send the answers
 * in the next request, whose response goes on from there; a denied or unanswered call ends as
 * `tool-output-denied`. With `approvals: "data"` (for ai 5) a waiting call is a `data-approval`
 * part instead, answered at `POST /api/ui/chat/{id}/approvals/{approval_id}`, and the response
 * goes on to the end of the run.
 *
 * Stateful: one encoder per reader, fed from the run's first event; a response that goes on after
 * a pause is first told what came before (`seen`).
 */
import type { RunEvent, RunStep } from "../schema/events";
import type { Encoder } from "../stream/encoder";
import { stepParameters, wireStep } from "../stream/wire";

const chunk = (value: object) => `data: ${JSON.stringify(value)}\n\n`;

export type UiApprovals = "sdk" | "data";

export interface UiEncoderOptions {
  approvals?: UiApprovals;
  /** Events an earlier response already sent: their tool calls are known, nothing is written for them. */
  seen?: readonly RunEvent[];
}

export function uiEncoder({ approvals = "sdk", seen = [] }: UiEncoderOptions = {}): Encoder {
  let started = false;
  let openText: string | undefined;
  /** `text-delta` up to its delta, built once per text part (byte for byte what chunk() writes). */
  let deltaPrefixFor: string | undefined;
  let deltaPrefix = "";
  const tools = new Set<string>();
  /** The tool call whose step just started waiting for approval (its `approval_request` follows it at once). */
  let waitingCall: string | undefined;

  const closeText = () => {
    if (openText === undefined) return "";
    const id = openText;
    openText = undefined;
    return chunk({ type: "text-end", id });
  };
  for (const event of seen) if (event.type === "step") stepChunks(event.step);

  return {
    event(event: RunEvent): string {
      let out = "";
      if (!started) {
        started = true;
        out += chunk({ type: "start", messageId: event.requestId, messageMetadata: { requestId: event.requestId } });
      }
      switch (event.type) {
        case "delta":
          if (openText !== event.message_id) {
            out += closeText();
            openText = event.message_id;
            out += chunk({ type: "text-start", id: event.message_id });
          }
          if (deltaPrefixFor !== event.message_id) {
            deltaPrefixFor = event.message_id;
            deltaPrefix = `data: {"type":"text-delta","id":${JSON.stringify(event.message_id)},"delta":`;
          }
          return `${out}${deltaPrefix}${JSON.stringify(event.text)}}\n\n`;
        case "step":
          return out + stepChunks(event.step) + chunk({ type: "data-step", id: event.step.message_id, data: wireStep(event.step) });
        case "approval_request":
          if (approvals === "data") {
            return out + chunk({ type: "data-approval", id: event.approval_id, data: { approval_id: event.approval_id, server: event.server, tool: event.tool, arguments: event.arguments } });
          }
          if (waitingCall === undefined) return out;
          out += chunk({ type: "tool-approval-request", approvalId: event.approval_id, toolCallId: waitingCall });
          waitingCall = undefined;
          return out;
        case "done":
          return (
            out +
            closeText() +
            chunk({ type: "finish", messageMetadata: { requestId: event.requestId, ...(event.data.usage ? { usage: event.data.usage } : {}) } }) +
            "data: [DONE]\n\n"
          );
        case "error":
          return (
            out +
            closeText() +
            chunk({ type: "message-metadata", messageMetadata: { requestId: event.requestId, code: event.code } }) +
            (event.code === 499 ? chunk({ type: "abort" }) : chunk({ type: "error", errorText: event.message })) +
            "data: [DONE]\n\n"
          );
      }
    },
    ping: () => ": ping\n\n",
    probe: ":\n",
    /** The run waits for people: this response ends; the next request's answers go on from here. */
    ...(approvals === "sdk" ? { pause: () => closeText() + chunk({ type: "finish" }) + "data: [DONE]\n\n" } : {}),
  };

  /** Model rounds as steps, tool calls as dynamic tool parts. */
  function stepChunks(step: RunStep): string {
    if (step.tool_type === "AzureOpenAI" || step.tool_type === "OpenAI") {
      if (step.tool_status === "Start") return chunk({ type: "start-step" });
      return closeText() + chunk({ type: "finish-step" });
    }
    if (step.tool_type !== "MCP") return "";
    const call = toolCall(stepParameters(step));
    if (!call) return ""; // the tool listing
    const toolCallId = step.message_id;
    if (step.tool_status === "Start") {
      tools.add(toolCallId);
      waitingCall = call.approval === "pending" ? toolCallId : undefined;
      return chunk({ type: "tool-input-available", toolCallId, toolName: call.tool, input: call.arguments ?? {}, dynamic: true });
    }
    if (!tools.has(toolCallId)) return "";
    tools.delete(toolCallId);
    if (step.tool_status === "Success") return chunk({ type: "tool-output-available", toolCallId, output: step.observation ?? "", dynamic: true });
    if (approvals === "sdk" && (call.approval === "denied" || call.approval === "timed_out")) return chunk({ type: "tool-output-denied", toolCallId });
    return chunk({ type: "tool-output-error", toolCallId, errorText: step.observation ?? "failed", dynamic: true });
  }
}

/** The tool call an MCP step's parameters describe (none for the tool listing). */
function toolCall(parameters: Record<string, unknown> | undefined): { tool: string; arguments?: unknown; approval?: unknown } | undefined {
  return typeof parameters?.tool === "string" ? { tool: parameters.tool, arguments: parameters.arguments, approval: parameters.approval } : undefined;
}
