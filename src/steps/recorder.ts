/**
 * Keeps every step of one chat in start order and announces each change as a `step` event:
 * once on `Start`, again with the same `message_id` on `Success` or `Error`.
 */
import type { RunStep, ToolType } from "../schema/events";
import { hex } from "../security/digest";

export type StepListener = (step: RunStep) => void;

export class StepHandle {
  private readonly startedAt = Date.now();
  constructor(
    readonly step: RunStep,
    private readonly announce: StepListener,
  ) {}

  get id(): string {
    return this.step.message_id;
  }

  success(observation: string, presentContent?: string): void {
    this.finish("Success", observation, presentContent);
  }

  error(observation: string, presentContent?: string): void {
    this.finish("Error", observation, presentContent);
  }

  /** Replaces the step's parameters (never changed in place), announced with its next change. */
  setParameters(parameters: Record<string, unknown>): void {
    this.step.parameters = parameters;
  }

  get finished(): boolean {
    return this.step.tool_status !== "Start";
  }

  private finish(status: "Success" | "Error", observation: string, presentContent?: string): void {
    if (this.finished) return;
    this.step.tool_status = status;
    this.step.observation = observation;
    this.step.execution_duration = Math.max(0, Math.round(Date.now() - this.startedAt));
    if (presentContent !== undefined) this.step.present_content = presentContent;
    this.announce({ ...this.step });
  }
}

export class StepRecorder {
  private readonly handles: StepHandle[] = [];
  constructor(private readonly announce: StepListener) {}

  start(toolType: ToolType, presentContent: string, parameters: Record<string, unknown>): StepHandle {
    const step: RunStep = {
      message_id: newId("msg_"),
      present_content: presentContent,
      tool_type: toolType,
      parameters,
      tool_status: "Start",
    };
    const handle = new StepHandle(step, this.announce);
    this.handles.push(handle);
    this.announce({ ...step });
    return handle;
  }

  /** Every step once, in its current state, in start order. */
  snapshot(): RunStep[] {
    return this.handles.map((h) => ({ ...h.step }));
  }
}

/** A short random id: `prefix` + 12 hex digits. */
export function newId(prefix: string): string {
  return prefix + hex(crypto.getRandomValues(new Uint8Array(6)).buffer);
}
