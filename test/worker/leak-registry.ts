/**
 * What the worker tests saw, for the leak scan (leak-scan.ts) and for log assertions: every log
 * line the code under test wrote (console is patched by leak-scan.ts), every response that
 * helpers.ts `post()` returned (headers, and the body as the test reads it), the work each request
 * left running in the background (its execution context's `waitUntil`, where a stream's log line is
 * written), and every secret in play (the configured ones, the env overrides of a test, the keys
 * clients presented). Lives on globalThis so the patched console and each test file's modules
 * share one registry.
 */
import { env } from "cloudflare:workers";

interface Registry {
  logs: string[];
  responses: { label: string; text: string }[];
  secrets: Set<string>;
  /** Per request id, when its execution context's background work is over. */
  background: Map<string, Promise<unknown>>;
}

const KEY = "__chatapiLeakRegistry";
const registry: Registry = ((globalThis as Record<string, unknown>)[KEY] ??= {
  logs: [],
  responses: [],
  secrets: new Set<string>(),
  background: new Map<string, Promise<unknown>>(),
}) as Registry;

/** Shorter strings would match by accident; every test secret is longer. */
const MIN_SECRET_CHARS = 8;

/** The secrets, and the operator's instructions (SYSTEM_PROMPT), which are never shown back either. */
const SECRET_VARS = ["AZURE_OPENAI_API_KEY", "OPENAI_API_KEY", "MCP_AUTH_TOKEN", "API_KEYS", "SYSTEM_PROMPT"] as const;

export function addSecretsFrom(vars: Partial<Record<string, unknown>>): void {
  for (const name of SECRET_VARS) {
    const value = vars[name];
    if (typeof value !== "string") continue;
    for (const secret of name === "API_KEYS" ? value.split(",") : [value]) addSecret(secret);
  }
}

export function addSecret(secret: string): void {
  secret = secret.trim();
  if (secret.length >= MIN_SECRET_CHARS) registry.secrets.add(secret);
}

export function recordLog(text: string): void {
  registry.logs.push(text);
}

/** The response as the caller will see it; its headers now, its body as it is read. */
export function recordResponse(label: string, response: Response): Response {
  const entry = { label, text: [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n") + "\n\n" };
  registry.responses.push(entry);
  if (!response.body) return response;
  const decoder = new TextDecoder();
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      entry.text += decoder.decode(chunk, { stream: true });
      controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(tap), response);
}

/** The background work of the request `requestId` (its execution context's `waitUntil`), settling when it is over. */
export function recordBackground(requestId: string, done: Promise<unknown>): void {
  registry.background.set(requestId, done.catch(() => {}));
}

/** When the request's background work is over: after that, nothing it started writes a log line. */
export async function backgroundOf(requestId: string): Promise<void> {
  await registry.background.get(requestId);
}

/** When the background work of every request is over; false if some is still going after `timeoutMs`. */
export async function allBackground(timeoutMs: number): Promise<boolean> {
  const all = Promise.all(registry.background.values()).then(() => true as const);
  const bound = new Promise<false>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void all.then(() => clearTimeout(timer));
  });
  return Promise.race([all, bound]);
}

/** The parsed request log lines (src/log/request-log.ts) written so far. */
export function requestLines(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const text of registry.logs) {
    if (!text.startsWith("{")) continue;
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      if (value.msg === "request") lines.push(value);
    } catch {
      // Not a JSON line.
    }
  }
  return lines;
}

export function allLogs(): readonly string[] {
  return registry.logs;
}

export interface Leak {
  where: string;
  secret: string;
}

/** Every place a secret (as is, URL-encoded or base64) appears in a log line or a response. */
export function findLeaks(): Leak[] {
  addSecretsFrom(env as unknown as Record<string, unknown>);
  const needles = [...registry.secrets].map((secret) => ({
    secret,
    // Text beyond Latin-1 (an operator's prompt in Chinese) has no plain base64 form.
    forms: [secret, encodeURIComponent(secret), ...(/^[\u0000-\u00ff]*$/.test(secret) ? [btoa(secret).replace(/=+$/, "")] : [])],
  }));
  const leaks: Leak[] = [];
  const scan = (where: string, text: string) => {
    for (const { secret, forms } of needles) {
      if (forms.some((form) => text.includes(form))) leaks.push({ where, secret: mask(secret) });
    }
  };
  registry.logs.forEach((text, i) => scan(`log line ${i}: ${text.slice(0, 120)}`, text));
  registry.responses.forEach(({ label, text }) => scan(`response to ${label}`, text));
  return leaks;
}

export function counts() {
  return { logs: registry.logs.length, responses: registry.responses.length, secrets: registry.secrets.size };
}

export function clearRecords(): void {
  registry.logs.length = 0;
  registry.responses.length = 0;
  registry.background.clear();
}

function mask(secret: string): string {
  return `${secret.slice(0, 4)}…(${secret.length} chars)`;
}
