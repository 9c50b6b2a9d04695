/**
 * The upstreams' one line splitter (src/upstream/line-splitter.ts), on text as the chat stream
 * reads it and on bytes as an MCP server's event stream passes through safeFetch.
 */
import { describe, expect, it } from "vitest";
import { BYTES, LineSplitter, TEXT } from "../../src/upstream/line-splitter";

const tooLong = (what: "line" | "event") => new Error(`too long: ${what}`);
const utf8 = new TextEncoder();
const text = (pieces: Uint8Array[] | undefined) => (pieces ? new TextDecoder().decode(BYTES.join(pieces, pieces.reduce((n, p) => n + p.byteLength, 0))) : undefined);

describe("LineSplitter on text", () => {
  it("hands on each line once its end comes, terminator included: LF, CR or CRLF, a line's pieces joined", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(TEXT, { maxLine: 100 }, tooLong);
    for (const piece of ["data: a", "b\n", "\ndata: c\r", "\ndata: d\r\n\r\n", "data: e"]) splitter.push(piece, (line) => lines.push(line));
    expect(lines).toEqual(["data: ab\n", "\n", "data: c\r", "\n", "data: d\r\n", "\r\n"]);
    expect(splitter.rest()).toEqual({ pieces: ["data: e"], length: 7 });
  });

  it("refuses a line longer than maxLine as soon as its held pieces pass it, before its end comes", () => {
    const splitter = new LineSplitter(TEXT, { maxLine: 10 }, tooLong);
    splitter.push("x".repeat(6), () => {});
    expect(() => splitter.push("x".repeat(6), () => {})).toThrow("too long: line");
  });

  it("refuses an event whose lines up to a blank one pass maxEvent; a blank line starts the count again", () => {
    const ok = new LineSplitter(TEXT, { maxLine: 10, maxEvent: 12 }, tooLong);
    ok.push("data: 1\n\ndata: 2\n\ndata: 3\n\n", () => {});
    const over = new LineSplitter(TEXT, { maxLine: 10, maxEvent: 12 }, tooLong);
    expect(() => over.push("data: 1\ndata: 2\n", () => {})).toThrow("too long: event");
  });
});

describe("LineSplitter on bytes", () => {
  it("cuts each piece after its last line end, holding the rest for the next: whole lines only", () => {
    const splitter = new LineSplitter(BYTES, { maxLine: 100 }, tooLong);
    expect(splitter.cut(utf8.encode("data: 你"))).toBeUndefined();
    expect(text(splitter.cut(utf8.encode("好\ndata: x")))).toBe("data: 你好\n");
    expect(text(splitter.cut(utf8.encode("y\r\n\r\ndata: z")))).toBe("data: xy\r\n\r\n");
    expect(new TextDecoder().decode(BYTES.join(splitter.rest().pieces, 7))).toBe("data: z");
  });

  it("refuses a line longer than maxLine, in one piece or over several", () => {
    expect(() => new LineSplitter(BYTES, { maxLine: 4 }, tooLong).cut(utf8.encode("ok\n12345\n"))).toThrow("too long: line");
    const split = new LineSplitter(BYTES, { maxLine: 4 }, tooLong);
    expect(split.cut(utf8.encode("123"))).toBeUndefined();
    expect(() => split.cut(utf8.encode("45"))).toThrow("too long: line");
  });
});
