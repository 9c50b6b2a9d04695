/**
 * A fake Azure OpenAI chat-completions endpoint (node:http, 127.0.0.1) that speaks Azure's real
 * wire format (tools/fakes/azure-wire.ts). Everything is scriptable over HTTP, so tests inside workerd
 * can drive it too (see fake-azure-client.ts for fetch helpers).
 *
 * POST /openai/deployments/{deployment}/chat/completions?api-version=…   (classic Azure)
 * POST /openai/v1/chat/completions                                      (Azure's v1 API: the deployment is `model`)
 * POST /…/azure-openai/{resource}/{deployment}/chat/completions?api-version=…   (a Cloudflare AI Gateway for Azure)
 * POST /v1/chat/completions, /…/compat/chat/completions   (an OpenAI-compatible endpoint: OpenAI, Ollama,
 *                                                          vLLM, AI Gateway's compat endpoint; `model` in the body)
 *   - Azure's paths: no `api-key` header → 401 (Azure body); the OpenAI-compatible one: no
 *     `Authorization: Bearer …` → 401 (OpenAI's body). No api-version (classic, gateway) → 404
 *     "Resource not found"; v1 or OpenAI-compatible without `model` → 400; other paths → 404
 *     "Resource not found"; body not JSON → 400. Past those checks every path answers alike: the
 *     same scenarios, scripts and stream quirks.
 *   - each request is recorded with its path, query, headers and which `api` it used.
 *   - `stream: true` → SSE; otherwise a `chat.completion` JSON body. Usage chunk only with
 *     `stream_options.include_usage: true`.
 *   - Response chosen by, in order: (1) the script queue of a nonce the raw body contains,
 *     (2) a marker `[[fake:NAME k=v k …]]` in the text of the last `user` message, (3) default echo.
 *
 * Markers (NAME):
 *   echo (default)        "echo: <last user text without the marker>", a word per chunk, finish "stop"
 *   unicode               fixed Chinese + emoji text (UNICODE_TEXT), finish "stop"
 *   chunks n=N            N content chunks "w0 ", "w1 ", …, each written separately (use delay=MS)
 *   length                echo with finish_reason "length"
 *   error status=429|500|503 fail=K nonce=X retry_after_ms=MS retry_after=S
 *                         the first K requests with that nonce (no fail = always) get Azure's error
 *                         body and those headers (429 always has retry-after[-ms]); then echo
 *   auth | not_found | prompt_filter   401 | 404 DeploymentNotFound | 400 content_filter
 *   answer_filter         some text, then finish_reason "content_filter" (violence: medium, filtered), usage, [DONE]
 *   break                 some text, then the response ends cleanly: no finish chunk, no [DONE]
 *   break_socket          some text and half a chunk, then the socket is destroyed
 *   hang_start            never sends headers;  hang_mid: headers and a few chunks, then stalls
 *   huge_chunk bytes=N    one content chunk of N characters (a single SSE line of N + ~300 bytes), then finishes;
 *                         cjk=1: Chinese characters (3 bytes each) instead of x
 *   comments_only every=MS  a few words, then only ": keep-alive" comments and blank lines every MS, never a
 *                         finish (the stream stays open until the client leaves)
 *   tools name=N args=URL-ENCODED-JSON n=K
 *                         last message is `tool` → text "tool result: <its first 200 chars>";
 *                         else, when the request offers tools: K parallel calls (default 1) to
 *                         `name` (default: the offered tools in order) with args (default "{}");
 *                         no tools offered → echo
 * Modifiers on any marker: split=B (whole body in B-byte writes, pause=MS between, default 1),
 *   delay=MS (between events), keepalive (interleave ": keep-alive" comments and blank lines),
 *   wait=MS (nothing, not even the headers, for MS: an upstream slow to start answering).
 *
 * Control API:
 *   POST /__fake/script {nonce, responses: ScriptedResponse[]} → {nonce, queued}  (appends)
 *   GET  /__fake/requests[?nonce=X] → RecordedRequest[] whose raw body contains X
 *   POST /__fake/reset[?nonce=X] → clears queues, counters and records (or only that nonce's)
 *   GET  /__fake/health → {status:"ok"}
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  authError, badRequestError, chatRoute, lastUserIndex, messageText, openaiAuthError, resourceNotFoundError,
  SSE_KEEPALIVE, type WireRequest, type WireResponse,
} from "./azure-wire";
import { readBody } from "../http";
import { markerPlan, parseMarker, scriptedPlan, type Plan, type ScriptedResponse } from "./fake-azure-scenarios";

import type { RecordedRequest } from "./fake-azure-client";

export type { RecordedRequest } from "./fake-azure-client";
export type { ScriptedResponse } from "./fake-azure-scenarios";
export interface FakeAzure { url: string; close(): Promise<void> }


const MAX_RECORDS = 5000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

function sendWire(res: ServerResponse, w: WireResponse) {
  res.writeHead(w.status, w.headers).end(w.body);
}
function sendJson(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

/**
 * Resolves when the chunk is accepted (or the response is gone). The record counts it in
 * `sentBytes` once accepted; while it waits for the client to take more, `live.blockedSince` says
 * since when (reported as `blockedMs`).
 */
function write(res: ServerResponse, chunk: string | Uint8Array, rec: RecordedRequest, live: Live): Promise<void> | void {
  const bytes = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
  if (res.write(chunk)) {
    rec.sentBytes += bytes;
    return;
  }
  live.blockedSince = Date.now();
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done); res.off("close", done);
      live.blockedSince = null;
      rec.sentBytes += bytes;
      resolve();
    };
    res.on("drain", done).on("close", done);
  });
}

interface Live { closed: boolean; destroyedByFake: boolean; blockedSince: number | null }

async function deliver(res: ServerResponse, plan: Plan, live: Live, rec: RecordedRequest): Promise<void> {
  if (plan.hangStart) return;
  if (plan.wait > 0) await sleep(plan.wait);
  if (live.closed) return;
  res.writeHead(plan.status, plan.headers);
  res.flushHeaders();
  const parts = plan.keepalive ? plan.parts.flatMap((p) => [SSE_KEEPALIVE, "\n", p]) : plan.parts;
  if (plan.split > 0) {
    const buf = Buffer.from(parts.join(""), "utf8");
    for (let i = 0; i < buf.length && !live.closed; i += plan.split) {
      await write(res, buf.subarray(i, i + plan.split), rec, live);
      await sleep(plan.pause);
    }
  } else {
    for (const p of parts) {
      if (live.closed) return;
      if (p) await write(res, p, rec, live);
      await (plan.delay > 0 ? sleep(plan.delay) : nextTurn());
    }
  }
  if (live.closed) return;
  if (plan.trickle) {
    while (!live.closed) {
      await write(res, plan.trickle.text, rec, live);
      await sleep(plan.trickle.every);
    }
    return;
  }
  if (plan.end === "end") res.end();
  else if (plan.end === "destroy") {
    await sleep(10);
    live.destroyedByFake = true;
    res.socket?.destroy();
  }
}

export async function startFakeAzure(opts: { port?: number } = {}): Promise<FakeAzure> {
  const records: RecordedRequest[] = [];
  const queues = new Map<string, ScriptedResponse[]>();
  const counters = new Map<string, number>();
  let seq = 0;
  let shuttingDown = false;
  const lives = new WeakMap<RecordedRequest, Live>();
  /** The record as reported: `blockedMs` as of now. */
  const withBlockedMs = (r: RecordedRequest): RecordedRequest => {
    const since = lives.get(r)?.blockedSince;
    return { ...r, blockedMs: since == null ? 0 : Date.now() - since };
  };

  async function control(req: IncomingMessage, res: ServerResponse, url: URL) {
    const nonce = url.searchParams.get("nonce");
    switch (`${req.method} ${url.pathname}`) {
      case "GET /__fake/health":
        return sendJson(res, 200, { status: "ok", requests: records.length });
      case "GET /__fake/requests":
        return sendJson(res, 200, (nonce ? records.filter((r) => r.body.includes(nonce)) : records).map(withBlockedMs));
      case "POST /__fake/script": {
        let input: { nonce?: unknown; responses?: unknown };
        try { input = JSON.parse(await readBody(req)); } catch { return sendJson(res, 400, { error: "body must be JSON" }); }
        if (typeof input.nonce !== "string" || input.nonce.length < 4 || !Array.isArray(input.responses)) {
          return sendJson(res, 400, { error: "expected {nonce: string (≥4 chars), responses: ScriptedResponse[]}" });
        }
        const q = queues.get(input.nonce) ?? [];
        q.push(...(input.responses as ScriptedResponse[]));
        queues.set(input.nonce, q);
        return sendJson(res, 200, { nonce: input.nonce, queued: q.length });
      }
      case "POST /__fake/reset":
        if (nonce) {
          queues.delete(nonce);
          counters.delete(nonce);
          for (let i = records.length - 1; i >= 0; i--) if (records[i].body.includes(nonce)) records.splice(i, 1);
        } else {
          queues.clear(); counters.clear(); records.length = 0;
        }
        return sendJson(res, 200, { status: "ok" });
      default:
        return sendJson(res, 404, { error: `unknown control endpoint ${req.method} ${url.pathname}` });
    }
  }

  function takeScripted(raw: string): ScriptedResponse | undefined {
    for (const [nonce, q] of queues) {
      if (q.length > 0 && raw.includes(nonce)) {
        const r = q.shift();
        if (q.length === 0) queues.delete(nonce);
        return r;
      }
    }
    return undefined;
  }

  async function chat(req: IncomingMessage, res: ServerResponse, url: URL) {
    const rec: RecordedRequest = {
      seq: ++seq, method: req.method ?? "", path: url.pathname, query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers }, body: "", receivedAt: Date.now(), closedByClientAt: null, finished: false, sentBytes: 0, blockedMs: 0,
      status: null, scenario: null, api: null,
    };
    records.push(rec);
    if (records.length > MAX_RECORDS) records.splice(0, records.length - MAX_RECORDS);
    const live: Live = { closed: false, destroyedByFake: false, blockedSince: null };
    lives.set(rec, live);
    res.on("finish", () => { rec.finished = true; });
    res.on("close", () => {
      live.closed = true;
      if (!res.writableFinished && !live.destroyedByFake && !shuttingDown) rec.closedByClientAt = Date.now();
    });
    rec.body = await readBody(req);

    let wire: WireResponse | null = null;
    const route = req.method === "POST" ? chatRoute(url.pathname) : null;
    rec.api = route?.api ?? null;
    const azure = route !== null && route.api !== "openai";
    if (!route || (azure && route.api !== "v1" && !url.searchParams.get("api-version"))) wire = resourceNotFoundError();
    else if (azure && !req.headers["api-key"]) wire = authError();
    else if (!azure && !/^Bearer \S+/.test(String(req.headers.authorization ?? ""))) wire = openaiAuthError();
    let body: WireRequest = {};
    if (!wire) {
      try { body = JSON.parse(rec.body) ?? {}; } catch { wire = badRequestError("We could not parse the JSON body of your request."); }
    }
    if (!wire && (route?.api === "v1" || route?.api === "openai") && typeof body.model !== "string") wire = badRequestError("you must provide a model parameter", "model");
    if (wire) {
      rec.status = wire.status;
      return sendWire(res, wire);
    }
    const ctx = { req: body, counters };
    const scripted = takeScripted(rec.body);
    let plan: Plan;
    if (scripted) plan = scriptedPlan(scripted, ctx);
    else {
      const msgs = body.messages ?? [];
      const i = lastUserIndex(msgs);
      plan = markerPlan(parseMarker(i < 0 ? "" : messageText(msgs[i].content)), ctx);
    }
    rec.status = plan.hangStart ? null : plan.status;
    rec.scenario = plan.scenario;
    await deliver(res, plan, live, rec);
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const handler = url.pathname.startsWith("/__fake/") ? control : chat;
    handler(req, res, url).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      shuttingDown = true;
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
