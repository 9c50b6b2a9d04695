/**
 * The events of the chat stream and the envelopes (docs/api.md, "Events" and "Errors").
 * Types only at run time: the hot path never parses its own events.
 */
import * as z from "zod";

export const ToolType = z.enum(["System", "InputParser", "AzureOpenAI", "OpenAI", "MCP"]);
export const ToolStatus = z.enum(["Start", "Success", "Error"]);

export const Step = z.object({
  message_id: z.string(),
  present_content: z.string(),
  tool_type: ToolType,
  /** A JSON string. */
  parameters: z.string(),
  tool_status: ToolStatus,
  observation: z.string().optional(),
  /** Whole milliseconds, on `Success` / `Error`. */
  execution_duration: z.number().int().nonnegative().optional(),
});

export const Usage = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});

export const EnvelopeData = z.object({
  steps: z.array(Step),
  answer: z.string().optional(),
  usage: Usage.optional(),
  /** On a `429` error event: how long to wait before retrying. */
  retry_after_ms: z.number().int().nonnegative().optional(),
});

/** The JSON response and the body of every error response (no `type`). */
export const Envelope = z.object({
  code: z.number().int(),
  message: z.string(),
  timestamp: z.string(),
  requestId: z.string(),
  data: EnvelopeData,
});

/** 1, 2, 3, … in the order sent, no gaps; in SSE also the event's `id:`. */
const seq = z.number().int().positive();

export const StepEvent = z.object({ type: z.literal("step"), requestId: z.string(), seq, step: Step });
export const DeltaEvent = z.object({
  type: z.literal("delta"),
  requestId: z.string(),
  seq,
  message_id: z.string(),
  text: z.string(),
});
export const DoneEvent = Envelope.extend({ type: z.literal("done"), seq });
export const ErrorEvent = Envelope.extend({ type: z.literal("error"), seq });
/** A keep-alive on a quiet stream (NDJSON only; SSE sends the comment `: ping`): not an event of the run, its `seq` repeats the last event's. */
export const PingEvent = z.object({ type: z.literal("ping"), requestId: z.string(), seq: z.number().int().nonnegative() });
/** A tool call waits for a person: answer with `POST /api/chat/{chat_id}/approvals/{approval_id}`. */
export const ApprovalRequestEvent = z.object({
  type: z.literal("approval_request"),
  requestId: z.string(),
  seq,
  approval_id: z.string(),
  server: z.string(),
  tool: z.string(),
  arguments: z.unknown(),
});
export const ChatEvent = z.discriminatedUnion("type", [StepEvent, DeltaEvent, ApprovalRequestEvent, DoneEvent, ErrorEvent]);

export type ToolType = z.infer<typeof ToolType>;
export type ToolStatus = z.infer<typeof ToolStatus>;
export type Step = z.infer<typeof Step>;
export type Usage = z.infer<typeof Usage>;
export type Envelope = z.infer<typeof Envelope>;
export type StepEvent = z.infer<typeof StepEvent>;
export type DeltaEvent = z.infer<typeof DeltaEvent>;
export type DoneEvent = z.infer<typeof DoneEvent>;
export type ErrorEvent = z.infer<typeof ErrorEvent>;
export type PingEvent = z.infer<typeof PingEvent>;
export type ApprovalRequestEvent = z.infer<typeof ApprovalRequestEvent>;
export type ChatEvent = z.infer<typeof ChatEvent>;

/**
 * A step as the run keeps it: its `parameters` an object, written as the contract's JSON string
 * only when the step goes out (src/stream/wire.ts).
 */
export type RunStep = Omit<Step, "parameters"> & { parameters: Record<string, unknown> };
/** An envelope as the run keeps it: its steps are RunSteps. */
export type RunEnvelope = Omit<Envelope, "data"> & { data: Omit<Envelope["data"], "steps"> & { steps: RunStep[] } };

/** An event as the run emits it, its steps RunSteps; the stream (or the resumable chat's log) numbers it. */
export type RunEvent =
  | (Omit<StepEvent, "seq" | "step"> & { step: RunStep })
  | Omit<DeltaEvent, "seq">
  | Omit<ApprovalRequestEvent, "seq">
  | (RunEnvelope & { type: "done" })
  | (RunEnvelope & { type: "error" });
