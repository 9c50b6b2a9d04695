/**
 * fetch-only helpers for driving the fake Azure server (fake-azure.ts) over HTTP. No node: imports,
 * so tests running inside workerd can use them as well as Node tests.
 */
import type { ScriptedResponse } from "./fake-azure-scenarios";

export type { ScriptedResponse };

/** One request as recorded by the fake (GET /__fake/requests). */
export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Raw request body, decoded as UTF-8. */
  body: string;
  receivedAt: number;
  /** When the client closed the connection before the fake finished writing (ms epoch), else null. */
  closedByClientAt: number | null;
  /** The fake wrote its whole response. */
  finished: boolean;
  /** Bytes of the response body the connection has taken so far (a write counts once it drained). */
  sentBytes: number;
  /** How long the fake's write in progress has waited for the connection to take more, as of this report; 0 when none waits. */
  blockedMs: number;
  status: number | null;
  scenario: string | null;
  /** Which way the request asked for a completion (tools/fakes/azure-wire.ts `chatRoute`); null: none. */
  api: "deployments" | "v1" | "ai-gateway" | "openai" | null;
}

/** A fresh nonce to put in a request (e.g. in the user text) so scripts and records match it. */
export function newNonce(prefix = "n"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** Queue responses for the requests whose body contains `nonce` (consumed in order). */
export async function scriptFake(baseUrl: string, nonce: string, responses: ScriptedResponse[]): Promise<number> {
  const res = await fetch(new URL("__fake/script", baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nonce, responses }),
  });
  if (!res.ok) throw new Error(`fake script failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { queued: number }).queued;
}

/** The requests the fake recorded whose raw body contains `nonce`. */
export async function fakeRequests(baseUrl: string, nonce: string): Promise<RecordedRequest[]> {
  const res = await fetch(new URL(`__fake/requests?nonce=${encodeURIComponent(nonce)}`, baseUrl));
  if (!res.ok) throw new Error(`fake requests failed: ${res.status}`);
  return (await res.json()) as RecordedRequest[];
}

/** Poll until `check(records)` holds (e.g. the upstream request was closed by the client). */
export async function waitForFake(baseUrl: string, nonce: string, check: (r: RecordedRequest[]) => boolean, timeoutMs = 3000): Promise<RecordedRequest[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await fakeRequests(baseUrl, nonce);
    if (check(records)) return records;
    if (Date.now() > deadline) throw new Error(`fake records for ${nonce} never matched: ${JSON.stringify(records.map((r) => ({ seq: r.seq, finished: r.finished, closedByClientAt: r.closedByClientAt })))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
