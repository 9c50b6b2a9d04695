/**
 * Setup file of the worker project (vitest.config.ts): patches console so every line the code
 * under test logs is recorded (request log lines are recorded but not printed: the fuzz test alone
 * writes thousands), and after each test file fails it if any recorded response or log line holds
 * a secret: AZURE_OPENAI_API_KEY, MCP_AUTH_TOKEN, API_KEYS (configured or overridden by a test),
 * or a key a client presented. See leak-registry.ts.
 */
import { afterAll, expect } from "vitest";
import { clearRecords, findLeaks, recordLog } from "./leak-registry";

const PATCHED = Symbol.for("chatapi.leakScan.console");
const patched = globalThis as { [PATCHED]?: boolean };

if (!patched[PATCHED]) {
  patched[PATCHED] = true;
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const text = args.map(show).join(" ");
      recordLog(text);
      if (method === "log" && text.startsWith('{"level":') && text.includes('"msg":"request"')) return;
      original(...args);
    };
  }
}

afterAll(async () => {
  // Let responses streamed in the background finish their log lines.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const leaks = findLeaks();
  clearRecords();
  expect(leaks, "a secret appeared in a response or a log line").toEqual([]);
});

function show(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ""}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
