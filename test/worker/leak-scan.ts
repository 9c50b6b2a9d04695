/**
 * Setup file of the worker project (vitest.config.ts): patches console so every line the code
 * under test logs is recorded (request log lines are recorded but not printed: the fuzz test alone
 * writes thousands), and after each test file fails it if any recorded response or log line holds
 * a secret: AZURE_OPENAI_API_KEY, MCP_AUTH_TOKEN, API_KEYS (configured or overridden by a test),
 * or a key a client presented. See leak-registry.ts.
 */
import { afterAll, expect } from "vitest";
import { allBackground, clearRecords, findLeaks, recordLog } from "./leak-registry";

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
  // Responses streamed in the background write their log lines when they end: wait for every
  // request's background work (a run nobody stopped ends by its own timeouts, within the hook's time).
  const over = await allBackground(8_000);
  if (!over) console.warn("[leak-scan] some requests were still running after 8 s; scanning what they wrote so far");
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
