/**
 * The body of a streamed response (a native IdentityTransformStream: cheaper per write than a JS
 * ReadableStream). Events pushed in one synchronous burst (all the chunks of one
 * upstream read) are joined and written once, on a microtask, so a fast upstream costs one
 * downstream write per read, not per event. Holds everything until `open()`: the response only
 * starts once Azure has accepted the request. A cancelled body (the client left) calls `onCancel`.
 */
import type { ChatEvent } from "../schema/events";
import type { Encoder } from "../encoders";

const utf8 = new TextEncoder();

export class EventWriter {
  readonly stream: ReadableStream<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private parts: string[] = [];
  private scheduled = false;
  private opened = false;
  private closed = false;

  constructor(
    private readonly encoder: Encoder,
    onCancel: () => void,
  ) {
    const pipe = new IdentityTransformStream();
    this.stream = pipe.readable;
    this.writer = pipe.writable.getWriter();
    this.writer.closed.catch(() => {
      if (this.closed) return;
      this.closed = true;
      onCancel();
    });
  }

  push(event: ChatEvent): void {
    if (this.closed) return;
    this.parts.push(this.encoder.encode(event));
    if (this.opened && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  open(): void {
    this.opened = true;
    this.flush();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.writer.close().catch(() => {});
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.closed || !this.parts.length) return;
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join("");
    this.parts = [];
    this.writer.write(utf8.encode(text)).catch(() => {});
  };
}
