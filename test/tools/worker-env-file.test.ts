/**
 * How the boot helper (tools/run/worker.ts) writes vars to wrangler's env file. That wrangler reads
 * them back byte for byte is checked end to end in test/node/e2e-wrangler-dev.test.ts.
 */
import { describe, expect, it } from "vitest";
import { envLine } from "../../tools/run/worker";

describe("envLine", () => {
  it.each([
    ["plain", "API_KEYS", "k1,k2", "API_KEYS='k1,k2'"],
    ["a $ reference, escaped for dotenv-expand", "K", "a$HOME${PATH}", "K='a\\$HOME\\${PATH}'"],
    ["a single quote: backquotes", "K", "it's", "K=`it's`"],
    ["single quotes and backquotes: double quotes", "K", "it's `x`", 'K="it\'s `x`"'],
    ["a # that is not a comment", "K", "a #b", "K='a #b'"],
    ["line breaks (a multi-line prompt): double quotes, each written \\n", "SYSTEM_PROMPT", "You are kind.\nIt's $5.\r\nBye", 'SYSTEM_PROMPT="You are kind.\\nIt\'s \\$5.\\r\\nBye"'],
  ])("writes %s", (_, name, value, line) => {
    expect(envLine(name, value)).toBe(line);
  });

  it.each([
    ["a line break and a double quote", 'a\n"b"'],
    ["a line break and a backslash-n of its own", "a\nb\\n"],
    ["every kind of quote", `'"\``],
    ["a backslash-n where only double quotes are left", "it's `x` \\n"],
  ])("refuses a value with %s rather than mangle it", (_, value) => {
    expect(() => envLine("K", value)).toThrow(/cannot be passed to wrangler dev/);
  });

  it("refuses a name that is not a variable name", () => {
    expect(() => envLine("A-B", "x")).toThrow(/not a variable name/);
  });
});
