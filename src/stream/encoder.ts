import type { RunEvent } from "../schema/events";

/** Turns the events of a run into the text of one streamed format. */
export interface Encoder {
  /** One event with its sequence number, framed (ends with its line break). */
  event(event: RunEvent, seq: number): string;
  /** The keep-alive after a quiet period; `seq` is the last event's (0 before the first). */
  ping(requestId: string, seq: number): string;
  /**
   * Bytes every client ignores, written on a quiet stream so that a client that left is noticed
   * (workerd reports a closed connection only on a write).
   */
  readonly probe: string;
  /**
   * The end of a response that stops where the run waits for people (see EventLog); an encoder
   * without it goes on to the end of the run. Only the AI SDK dialect's with its approval flow
   * has one: that flow ends each response there.
   */
  pause?(): string;
}
