/** How the CLI shows a chat: steps as they start and end, the answer as it streams, usage at the end. */
import type { ChatEvent, Envelope, Step } from "../../client/src";

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const ICON = { Start: paint(33, "▶"), Success: paint(32, "✔"), Error: paint(31, "✘") } as const;

export interface PrintOptions {
  /** Print every step's parameters and observation. */
  verbose?: boolean;
  out?: (text: string) => void;
}

/** Prints events as they come; keeps the answer's line breaks apart from the step lines. */
export class ChatPrinter {
  private midLine = false;
  private inAnswer = false;
  private readonly out: (text: string) => void;

  constructor(private readonly options: PrintOptions = {}) {
    this.out = options.out ?? ((text) => process.stdout.write(text));
  }

  event(event: ChatEvent): void {
    if (event.type === "step") this.step(event.step);
    else if (event.type === "delta") this.delta(event.text);
    else if (event.type === "approval_request") this.line(`⏸ ${event.server}/${event.tool} waits for approval (${event.approval_id})`);
    else this.end(event);
  }

  step(step: Step): void {
    this.line(stepLine(step));
    // A tool call's name and arguments are worth a line even without --verbose.
    const detail = this.options.verbose || (step.tool_type === "MCP" && step.tool_status === "Start" && step.parameters.includes('"tool"'));
    if (detail && step.parameters && step.parameters !== "{}") this.line(paint(2, `    parameters: ${clip(step.parameters, this.options.verbose ? 2000 : 200)}`));
    if (this.options.verbose && step.observation) this.line(paint(2, `    observation: ${clip(step.observation, 2000)}`));
  }

  delta(text: string): void {
    if (!this.inAnswer) {
      this.line(paint(1, "answer:"));
      this.inAnswer = true;
    }
    this.out(text);
    this.midLine = !text.endsWith("\n");
  }

  /** The terminal event, or the JSON envelope: the answer if not streamed, then usage and request id. */
  end(envelope: Envelope & { type?: string }, seconds?: number): void {
    if (!this.inAnswer && envelope.data.answer) this.delta(envelope.data.answer);
    const failed = envelope.type === "error" || envelope.code >= 400;
    if (failed) this.line(paint(31, `error ${envelope.code}: ${envelope.message}`));
    const usage = envelope.data.usage;
    const parts = [
      usage ? `usage: ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion = ${usage.total_tokens} tokens` : "usage: -",
      `request ${envelope.requestId}`,
    ];
    if (seconds !== undefined) parts.push(`${seconds.toFixed(1)} s`);
    this.line(paint(2, parts.join(" · ")));
  }

  /** A dim line of the CLI's own (how to answer an approval, what was answered). */
  note(text: string): void {
    this.line(paint(2, text));
  }

  private line(text: string): void {
    if (this.midLine) this.out("\n");
    this.out(text + "\n");
    this.midLine = false;
  }
}

export function stepLine(step: Step): string {
  const duration = step.execution_duration !== undefined ? paint(2, ` (${step.execution_duration} ms)`) : "";
  return `${ICON[step.tool_status]} ${step.tool_status.padEnd(7)} ${step.tool_type.padEnd(11)} ${step.present_content}${duration}`;
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
