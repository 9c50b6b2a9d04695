/**
 * The events of the chat stream and the envelopes (CONTRACT.md "Events" and "Errors").
 * Types only at run time: the hot path never parses its own events.
 */
import * as z from "zod";

export const ToolType = z.enum(["System", "InputParser", "AzureOpenAI", "MCP"]);
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
});

/** The JSON response and the body of every error response (no `type`). */
export const Envelope = z.object({
  code: z.number().int(),
  message: z.string(),
  timestamp: z.string(),
  requestId: z.string(),
  data: EnvelopeData,
});

export const StepEvent = z.object({ type: z.literal("step"), requestId: z.string(), step: Step });
export const DeltaEvent = z.object({
  type: z.literal("delta"),
  requestId: z.string(),
  message_id: z.string(),
  text: z.string(),
});
export const DoneEvent = Envelope.extend({ type: z.literal("done") });
export const ErrorEvent = Envelope.extend({ type: z.literal("error") });
export const ChatEvent = z.discriminatedUnion("type", [StepEvent, DeltaEvent, DoneEvent, ErrorEvent]);

export type ToolType = z.infer<typeof ToolType>;
export type ToolStatus = z.infer<typeof ToolStatus>;
export type Step = z.infer<typeof Step>;
export type Usage = z.infer<typeof Usage>;
export type Envelope = z.infer<typeof Envelope>;
export type StepEvent = z.infer<typeof StepEvent>;
export type DeltaEvent = z.infer<typeof DeltaEvent>;
export type DoneEvent = z.infer<typeof DoneEvent>;
export type ErrorEvent = z.infer<typeof ErrorEvent>;
export type ChatEvent = z.infer<typeof ChatEvent>;
