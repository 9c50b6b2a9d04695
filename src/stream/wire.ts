/**
 * Where a run's steps take the contract's form: `parameters`, an object while the run keeps it
 * (src/steps/recorder.ts), becomes its JSON string in each event and envelope that goes out (the
 * NDJSON and SSE encoders, the UI dialect's data-step parts, the JSON envelope). Events kept in a
 * resumable chat's storage by an earlier version of the service may hold the string already.
 */
import type { Envelope, RunEnvelope, RunEvent, RunStep, Step } from "../schema/events";

export function wireStep(step: RunStep): Step {
  const parameters: unknown = step.parameters;
  return { ...step, parameters: typeof parameters === "string" ? parameters : JSON.stringify(parameters ?? {}) };
}

export function wireEnvelope<E extends RunEnvelope>(envelope: E): Omit<E, "data"> & { data: Envelope["data"] } {
  const { data } = envelope;
  return { ...envelope, data: { ...data, steps: data.steps.map(wireStep) } };
}

/** The event as the contract has it (no `seq`): steps with their parameters as JSON strings. */
export function wireEvent(event: RunEvent) {
  switch (event.type) {
    case "step":
      return { ...event, step: wireStep(event.step) };
    case "done":
    case "error":
      return wireEnvelope(event);
    default:
      return event;
  }
}

/** The parameters of a step as an object (a kept event's JSON string read back). */
export function stepParameters(step: RunStep): Record<string, unknown> | undefined {
  const parameters: unknown = step.parameters;
  if (typeof parameters !== "string") return parameters as Record<string, unknown>;
  try {
    return JSON.parse(parameters) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
