/**
 * The body of a streamed response (a native IdentityTransformStream: cheaper per write than a JS
 * ReadableStream). Events pushed in one synchronous burst are joined and written once: on a
 * microtask, or, between `hold()` and `release()` (the run around the chunks of one upstream
 * read), at `release()`, so a streamed chunk costs no microtask of its own.
 *
 * - Backpressure: bytes written but not yet taken by the client are counted; past
 *   `maxBufferedBytes`, `ready()` returns a promise that settles once the client has caught up,
 *   and the run reads nothing more upstream until then.
 * - Keep-alive: after `heartbeatMs` without an event, the encoder's ping (again after each further
 *   quiet period).
 * - Disconnects: workerd reports a closed connection only when a write fails, so a quiet stream
 *   gets the encoder's probe (bytes every client ignores) every `probeMs`; the failed write, or the
 *   body's cancellation, calls `onCancel`.
 */
import type { RunEvent } from "../schema/events";
import type { Encoder } from "./encoder";

const utf8 = new TextEncoder();

export interface EventWriterOptions {
  requestId: string;
  /** Keep-alive period; 0 turns keep-alives off. */
  heartbeatMs: number;
  /** Disconnect probe period; 0 turns probes off. */
  probeMs: number;
  /** How far the client may fall behind before the writer of events is made to wait. */
  maxBufferedBytes: number;
  /** The client went away. */
  onCancel(): void;
}

export class EventWriter {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly encoder: Encoder;
  readonly #options: EventWriterOptions;
  #parts: string[] = [];
  /** Characters pushed but not yet written (they are written on a microtask, or at `release()`). */
  #pending = 0;
  #scheduled = false;
  #held = 0;
  #closed = false;
  #inFlight = 0;
  /** Bytes of each write not yet taken by the client, oldest first from `#sizesHead` (writes complete in order). */
  #sizes: number[] = [];
  #sizesHead = 0;
  #waiters: (() => void)[] = [];
  #lastSeq = 0;
  #lastEventAt = Date.now();
  #lastByteAt = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(encoder: Encoder, options: EventWriterOptions) {
    this.encoder = encoder;
    this.#options = options;
    const pipe = new IdentityTransformStream();
    this.stream = pipe.readable;
    this.#writer = pipe.writable.getWriter();
    this.#writer.closed.catch(() => this.#cancelled());
    this.#arm();
  }

  /** Encodes the event now (a throw reaches the caller) and writes it on this microtask's burst. */
  push(event: RunEvent, seq: number): void {
    if (this.#closed) return;
    const text = this.encoder.event(event, seq);
    this.#parts.push(text);
    this.#pending += text.length;
    this.#lastSeq = seq;
    if (!this.#scheduled && !this.#held) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  /**
   * The reader already has every event up to `seq` (a resumed stream): keep-alives repeat it
   * until an event is pushed.
   */
  resumeAfter(seq: number): void {
    this.#lastSeq = seq;
  }

  /** Until the matching `release()`, pushed events wait; `release()` writes them at once, joined. */
  hold(): void {
    this.#held++;
  }

  release(): void {
    if (this.#held > 0 && --this.#held === 0) this.#flush();
  }

  /**
   * Settles once the client has taken enough of what was written; `undefined` when it is not
   * behind. What was pushed and waits to be written counts too, so a caller that pushes a backlog
   * in one go (a reader catching up) stops at about one buffer.
   */
  ready(): Promise<void> | undefined {
    if (this.#closed || this.#inFlight + this.#pending <= this.#options.maxBufferedBytes) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes what is pending (then `tail`, if given) and ends the body. */
  close(tail?: string): void {
    if (this.#closed) return;
    if (tail) this.#parts.push(tail);
    this.#flush();
    this.#end();
    this.#writer.close().catch(() => {});
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (this.#closed || !this.#parts.length) return;
    const text = this.#parts.length === 1 ? this.#parts[0] : this.#parts.join("");
    this.#parts = [];
    this.#pending = 0;
    // The events' time: they were pushed in this task.
    this.#lastEventAt = this.#write(text);
  };

  /** Writes `text`; returns the time it was written. */
  #write(text: string): number {
    const bytes = utf8.encode(text);
    this.#inFlight += bytes.byteLength;
    this.#sizes.push(bytes.byteLength);
    const now = (this.#lastByteAt = Date.now());
    this.#writer.write(bytes).then(this.#written, this.#failed);
    return now;
  }

  /** The oldest write not yet taken was taken (one handler for all writes, not two closures per write). */
  readonly #written = (): void => {
    const bytes = this.#sizes[this.#sizesHead++];
    if (this.#sizesHead === this.#sizes.length) {
      this.#sizes.length = 0;
      this.#sizesHead = 0;
    }
    this.#inFlight -= bytes;
    if (this.#inFlight <= this.#options.maxBufferedBytes) this.#wake();
  };

  readonly #failed = (): void => this.#cancelled();

  /** One timer for keep-alives and probes, re-armed for whichever is due next. */
  #arm(delayMs?: number): void {
    const { heartbeatMs, probeMs } = this.#options;
    if (this.#closed || (!heartbeatMs && !probeMs)) return;
    const due = Math.min(heartbeatMs ? this.#lastEventAt + heartbeatMs : Infinity, probeMs ? this.#lastByteAt + probeMs : Infinity);
    this.#timer = setTimeout(this.#tick, delayMs ?? Math.max(1, due - Date.now()));
  }

  readonly #tick = (): void => {
    if (this.#closed) return;
    const now = Date.now();
    const { heartbeatMs, probeMs, requestId } = this.#options;
    // A client that has not taken what was written is slow, not gone: nothing to add; look again later.
    if (this.#inFlight > 0) return this.#arm(Math.min(probeMs || Infinity, heartbeatMs || Infinity));
    if (heartbeatMs && now - this.#lastEventAt >= heartbeatMs) {
      this.#lastEventAt = this.#write(this.encoder.ping(requestId, this.#lastSeq));
    } else if (probeMs && now - this.#lastByteAt >= probeMs) {
      this.#write(this.encoder.probe);
    }
    this.#arm();
  };

  #cancelled(): void {
    if (this.#closed) return;
    this.#end();
    this.#options.onCancel();
  }

  #end(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
