/**
 * The events of one run of a resumable chat, in memory while it is live, and the readers that
 * follow it. Each reader has its own position: it is sent what it has not had, as fast as it
 * takes it (a reader that falls behind waits on its own writer; the run never waits for it), and
 * its body ends after the terminal event.
 *
 * A run that waits for people (tool calls to approve) is paused at the last event it wrote:
 * a reader whose encoder has a `pause` ending (the AI SDK dialect's, whose approval flow ends each
 * response there) ends its body with it when it reaches the pause.
 */
import { envelope } from "../errors";
import type { RunEvent, RunStep } from "../schema/events";
import type { EventWriter } from "../stream/event-writer";

export class EventLog {
  /** Event `seq` is its index + 1. */
  readonly events: RunEvent[] = [];
  readonly #readers = new Set<LogReader>();
  #held = false;
  #terminated = false;
  /** The `seq` the run is paused at (it waits for people), if it is. */
  #pausedAt: number | undefined;

  constructor(
    readonly requestId: string,
    events: RunEvent[] = [],
  ) {
    this.events = events;
    const last = events.at(-1);
    this.#terminated = last?.type === "done" || last?.type === "error";
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  get lastSeq(): number {
    return this.events.length;
  }

  /** Whether the run is paused (it waits for people) right after `seq`. */
  pausedAt(seq: number): boolean {
    return this.#pausedAt === seq;
  }

  /** The run waits for people, after its latest event. */
  pause(): void {
    this.#pausedAt = this.events.length;
    for (const reader of this.#readers) reader.pump();
  }

  /** Someone answered: the run goes on. */
  unpause(): void {
    this.#pausedAt = undefined;
  }

  /**
   * Until `release()`, the live readers' writers hold what they are given (the run's events of one
   * upstream read) and write it at once at `release()` (EventWriter.hold).
   */
  hold(): void {
    if (this.#held) return;
    this.#held = true;
    for (const reader of this.#readers) reader.writer.hold();
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    for (const reader of this.#readers) reader.writer.release();
  }

  append(event: RunEvent): number {
    if (this.#terminated) throw new Error("the run has ended");
    this.#pausedAt = undefined;
    this.events.push(event);
    if (event.type === "done" || event.type === "error") this.#terminated = true;
    for (const reader of this.#readers) reader.pump();
    return this.events.length;
  }

  /**
   * Follows the log from after `after` (0: from the start) into `writer`, until the terminal
   * event, or until a pause when the writer's encoder has a `pause` ending.
   */
  follow(writer: EventWriter, after: number): void {
    const from = Math.min(after, this.events.length);
    writer.resumeAfter(from);
    const reader = new LogReader(this, writer, from, () => this.#readers.delete(reader));
    this.#readers.add(reader);
    if (this.#held) writer.hold();
    reader.pump();
  }
}

class LogReader {
  #waiting = false;

  constructor(
    private readonly log: EventLog,
    readonly writer: EventWriter,
    private cursor: number,
    private readonly done: () => void,
  ) {}

  pump(): void {
    if (this.#waiting) return;
    const { events } = this.log;
    while (this.cursor < events.length && !this.writer.closed && !this.#atPause()) {
      const behind = this.writer.ready();
      if (behind) {
        this.#waiting = true;
        void behind.then(() => {
          this.#waiting = false;
          this.pump();
        });
        return;
      }
      const seq = ++this.cursor;
      this.writer.push(events[seq - 1], seq);
    }
    if (this.#atPause()) {
      this.writer.close(this.writer.encoder.pause!());
      this.done();
    } else if (this.writer.closed || (this.log.terminated && this.cursor >= events.length)) {
      this.writer.close();
      this.done();
    }
  }

  #atPause(): boolean {
    return this.writer.encoder.pause !== undefined && this.log.pausedAt(this.cursor);
  }
}

/** The terminal event of a run cut off inside the service (its object restarted), after the events kept. */
export function interruptedEvent(events: readonly RunEvent[], requestId: string): RunEvent {
  const message = "The run was interrupted inside the service (its Durable Object restarted); the events above are what was kept";
  // Every step once, in its latest state, in start order.
  const steps = new Map<string, RunStep>();
  for (const event of events) if (event.type === "step") steps.set(event.step.message_id, event.step);
  return { type: "error", ...envelope(503, message, requestId, { steps: [...steps.values()] }) };
}
