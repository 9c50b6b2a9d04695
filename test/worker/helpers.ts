/** Drives the app inside workerd the way a client does: HTTP in, the response stream read as it comes. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, inject } from "vitest";
import app from "../../src/index";
import type { ChatEvent, Envelope } from "../../src/schema/events";
import { assertValid } from "../support/event-schema";
import { addSecret, addSecretsFrom, backgroundOf, recordBackground, recordResponse } from "./leak-registry";

export const fakeUrl = () => inject("fakeAzureUrl");

export interface ChatOptions {
  accept?: string;
  lang?: string;
  env?: Partial<Env>;
  headers?: Record<string, string>;
  /** The request's signal: what the runtime aborts when the client disconnects (`enable_request_signal`). */
  signal?: AbortSignal;
}

export async function post(body: unknown, options: ChatOptions = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.accept !== undefined) headers.accept = options.accept;
  if (options.lang) headers["accept-language"] = options.lang;
  const request = new Request("http://chatapi.test/api/chat", {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: options.signal,
  });
  return fetchApp(request, options.env);
}

/** Any request through the app; the response is recorded for the leak scan (leak-scan.ts). */
export async function fetchApp(request: Request, overrides: Partial<Env> = {}): Promise<Response> {
  addSecretsFrom(overrides);
  const presented = /^\s*Bearer\s+(\S+)/i.exec(request.headers.get("authorization") ?? "");
  if (presented) addSecret(presented[1]);
  const ctx = createExecutionContext();
  const response = await app.fetch(request, { ...env, ...overrides }, ctx);
  // Let the run finish in the background like the runtime would; the body is read by the caller,
  // and settled() waits for that background work.
  const background = waitOnExecutionContext(ctx);
  const requestId = response.headers.get("x-request-id");
  if (requestId) recordBackground(requestId, background);
  return recordResponse(`${request.method} ${new URL(request.url).pathname}`, response);
}

/**
 * Waits until the request's work in the background is over (a stream's run and its log line; for
 * a resumable chat, the Worker's side): after that, nothing it started writes to the log.
 */
export function settled(res: Response | string): Promise<void> {
  return backgroundOf(typeof res === "string" ? res : res.headers.get("x-request-id")!);
}

/** A request body sent in `count` pieces without a Content-Length, as a chunked upload arrives. */
export function chunked(body: string | Uint8Array, count = 8): ReadableStream<Uint8Array> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const size = Math.ceil(bytes.length / count);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, (offset += size)));
    },
  });
}

export function userText(text: string, extra: Record<string, unknown> = {}) {
  return { user_id: "user_123", query: [{ role: "user", content: text }], ...extra };
}

export async function ndjson(response: Response): Promise<ChatEvent[]> {
  const text = await response.text();
  expect(text.endsWith("\n")).toBe(true);
  const events = text.trimEnd().split("\n").map((line) => JSON.parse(line) as ChatEvent);
  // Every event the suite sees must match the published schema (schema/chatapi.schema.json).
  for (const event of events) assertValid("ChatEvent", event);
  return events;
}

export function terminal(events: ChatEvent[]): Envelope & { type: "done" | "error" } {
  const last = events.at(-1)!;
  expect(["done", "error"]).toContain(last.type);
  expect(events.filter((e) => e.type === "done" || e.type === "error")).toHaveLength(1);
  return last as Envelope & { type: "done" | "error" };
}

export function deltas(events: ChatEvent[]): string {
  return events.map((e) => (e.type === "delta" ? e.text : "")).join("");
}

/**
 * Checks an error envelope (JSON; `code` = the HTTP status, and `status` when given; `requestId` =
 * X-Request-Id; an ISO timestamp; the message matching `message` when given) and returns it.
 */
export async function envelopeOf(res: Response, status?: number, message?: RegExp): Promise<Envelope> {
  if (status !== undefined) expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json<Envelope>();
  expect(body.code).toBe(res.status);
  expect(body.requestId).toBe(res.headers.get("x-request-id"));
  expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
  if (message) expect(body.message).toMatch(message);
  return body;
}
