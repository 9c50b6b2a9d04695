/** Shared by the security tests: requests of any shape, the request's log line. */
import { expect } from "vitest";
import { fetchApp, settled } from "./helpers";
import { requestLines } from "./leak-registry";

export const KEY_A = "sk-test-alpha-5b0c6e1f9a2d4c7e";
export const KEY_B = "sk-test-bravo-0e8d7c6b5a4f3e2d";

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  env?: Partial<Env>;
}

/** One request to the app at `path` (JSON content type unless given). */
export function send(path: string, options: SendOptions = {}): Promise<Response> {
  const method = options.method ?? "POST";
  const headers = new Headers(options.headers);
  if (options.body != null && !headers.has("content-type")) headers.set("content-type", "application/json");
  return fetchApp(new Request(`http://chatapi.test${path}`, { method, headers, body: options.body ?? null }), options.env);
}

/** A chat body with its own nonce in the text. */
export function chatBody(text = `hello ${crypto.randomUUID()}`, userId = "user_sec") {
  return JSON.stringify({ user_id: userId, query: [{ role: "user", content: text }] });
}

/** The request log line of a response (waits for it: a stream writes it when it ends). */
export async function logLineOf(res: Response | string, timeoutMs = 3000): Promise<Record<string, unknown>> {
  const requestId = typeof res === "string" ? res : res.headers.get("x-request-id");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = requestLines().filter((line) => line.requestId === requestId);
    if (lines.length) {
      // Exactly one line per request, ever: also once everything it left running is over.
      await settled(requestId!);
      expect(requestLines().filter((line) => line.requestId === requestId)).toHaveLength(1);
      return lines[0];
    }
    if (Date.now() > deadline) throw new Error(`no request log line for ${requestId}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
