/** What a chat run ends with: the envelope for the client and a summary for the request's log line. */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { RunEnvelope, RunEvent } from "../schema/events";

export interface RunSummary {
  /** Model rounds started. */
  rounds: number;
  /** Whether the tool list came (absent: no tool source). */
  toolsListed?: boolean;
  /** Each tool call: its name as offered to the model, and whether it succeeded. */
  tools: { name: string; ok: boolean }[];
}

export interface RunResult {
  ok: boolean;
  envelope: RunEnvelope;
  /** Headers that belong to the error when it is answered as a plain HTTP error (e.g. `Retry-After`). */
  headers: Record<string, string>;
  summary: RunSummary;
  /** How the run ended, for the log: `done`, `error`, or stopped (`client_closed`, `stopped`). */
  outcome: "done" | "error" | "client_closed" | "stopped";
  /** The tool calls and results the model saw in this run, in order (kept with a stored conversation). */
  transcript?: ChatCompletionMessageParam[];
  /** The stack of an unexpected error (a bug of ours, reported to the client as a generic 500), for the log. */
  internalError?: string;
}

/** Where a run sends its events as they happen. */
export interface RunSink {
  emit(event: RunEvent): void;
  /** A promise while the reader is behind by more than the bound: the run waits before reading more upstream. */
  ready(): Promise<void> | undefined;
  /** Aborts when the client leaves (a plain chat) or the chat is stopped. */
  readonly signal: AbortSignal;
  /**
   * Around the events of one upstream read: what is emitted until `release()` may be held back
   * and written at once at `release()` (one write, no microtask per event). Optional: a sink
   * without them writes as it does.
   */
  hold?(): void;
  release?(): void;
}
