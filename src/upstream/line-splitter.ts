/**
 * The one splitter of event-stream bodies into lines, for every upstream: the chat stream of Azure
 * OpenAI or an OpenAI-compatible endpoint (src/chat/chunks.ts, on decoded text, each line fed to
 * eventsource-parser) and an MCP server's event streams (src/upstream/safe-fetch.ts, on bytes,
 * passed on to the MCP SDK's parser in whole lines). A line ends at CR, LF or CRLF, as in SSE.
 *
 * SSE parsers re-scan the incomplete line they hold on every feed, so a long line fed piece by
 * piece costs quadratic time (an 8 MiB line took over 30 s of CPU). Here a partial line is kept as
 * pieces and joined once its end arrives: each position is scanned for a line end once. A line
 * longer than `maxLine`, or an event (the lines up to a blank one) longer than `maxEvent`, is
 * refused with the error `tooLong` makes, as soon as its length is known to pass the bound.
 */

/** What the splitter needs of text or bytes: lengths, the next CR / LF, code units, slices, joins. */
export interface Units<T> {
  length(piece: T): number;
  indexOf(piece: T, unit: typeof CR | typeof LF, from: number): number;
  at(piece: T, index: number): number;
  slice(piece: T, from: number, to?: number): T;
  join(pieces: T[], length: number): T;
}

const CR = 13;
const LF = 10;

export const TEXT: Units<string> = {
  length: (piece) => piece.length,
  indexOf: (piece, unit, from) => piece.indexOf(unit === CR ? "\r" : "\n", from),
  at: (piece, index) => piece.charCodeAt(index),
  slice: (piece, from, to) => piece.slice(from, to),
  join: (pieces) => pieces.join(""),
};

export const BYTES: Units<Uint8Array> = {
  length: (piece) => piece.byteLength,
  indexOf: (piece, unit, from) => piece.indexOf(unit, from),
  at: (piece, index) => piece[index],
  slice: (piece, from, to) => piece.subarray(from, to),
  join: (pieces, length) => {
    if (pieces.length === 1) return pieces[0];
    const out = new Uint8Array(length);
    let offset = 0;
    for (const piece of pieces) {
      out.set(piece, offset);
      offset += piece.byteLength;
    }
    return out;
  },
};

export interface LineLimits {
  /** Longest line, terminator not counted. */
  maxLine: number;
  /** Longest event: its lines (terminators not counted) up to a blank one. Default: no bound. */
  maxEvent?: number;
}

export class LineSplitter<T> {
  #pending: T[] = [];
  #pendingLength = 0;
  #eventLength = 0;
  readonly #maxEvent: number;

  constructor(
    private readonly units: Units<T>,
    private readonly limits: LineLimits,
    private readonly tooLong: (what: "line" | "event") => Error,
  ) {
    this.#maxEvent = limits.maxEvent ?? Infinity;
  }

  /** Takes the next piece of the body; `onLine` gets each line it completes, terminator included (its earlier pieces joined in front). */
  push(piece: T, onLine: (line: T) => void): void {
    this.#scan(piece, onLine);
  }

  /**
   * Takes the next piece of the body; returns the pieces that make up the lines it completes (the
   * held pieces, then `piece` up to its last line end), or undefined when it completes none.
   */
  cut(piece: T): T[] | undefined {
    return this.#scan(piece, undefined);
  }

  #scan(piece: T, onLine: ((line: T) => void) | undefined): T[] | undefined {
    const { units } = this;
    const length = units.length(piece);
    let start = 0;
    let completed: T[] | undefined;
    // Next CR / LF at or after `start`; -1 once there is none left (then never searched again).
    let cr = units.indexOf(piece, CR, 0);
    let lf = units.indexOf(piece, LF, 0);
    for (;;) {
      if (cr !== -1 && cr < start) cr = units.indexOf(piece, CR, start);
      if (lf !== -1 && lf < start) lf = units.indexOf(piece, LF, start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      const stop = end + (units.at(piece, end) === CR && units.at(piece, end + 1) === LF ? 2 : 1);
      const lineLength = this.#pendingLength + (end - start);
      if (lineLength > this.limits.maxLine) throw this.tooLong("line");
      this.#eventLength = lineLength === 0 ? 0 : this.#eventLength + lineLength;
      if (this.#eventLength > this.#maxEvent) throw this.tooLong("event");
      if (onLine) {
        const line = units.slice(piece, start, stop);
        if (this.#pendingLength) {
          this.#pending.push(line);
          onLine(units.join(this.#pending, this.#pendingLength + (stop - start)));
        } else {
          onLine(line);
        }
      } else {
        completed ??= this.#pending;
      }
      this.#pending = [];
      this.#pendingLength = 0;
      start = stop;
    }
    if (completed) completed.push(units.slice(piece, 0, start));
    if (start < length) {
      this.#pending.push(start ? units.slice(piece, start) : piece);
      this.#pendingLength += length - start;
      if (this.#pendingLength > this.limits.maxLine) throw this.tooLong("line");
      if (this.#eventLength + this.#pendingLength > this.#maxEvent) throw this.tooLong("event");
    }
    return completed;
  }

  /** The incomplete last line's pieces (at the body's end), and their length; the splitter forgets them. */
  rest(): { pieces: T[]; length: number } {
    const rest = { pieces: this.#pending, length: this.#pendingLength };
    this.#pending = [];
    this.#pendingLength = 0;
    return rest;
  }
}
