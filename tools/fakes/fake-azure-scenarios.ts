/**
 * Scenarios of the fake Azure OpenAI server (see fake-azure.ts for the full reference): turns a
 * request plus a marker `[[fake:NAME k=v …]]` or a scripted response into a delivery Plan.
 */
import {
  authError, chunkText, completionBody, deploymentNotFoundError, errorForStatus, estimateTokens,
  lastUserIndex, messageText, newMeta, okHeaders, promptFilterError, safeChoiceFilter, streamEvents,
  usageOf, type AnswerSpec, type FinishReason, type Usage, type WireRequest, type WireResponse,
} from "./azure-wire";

/** How to write a response. */
export interface Plan {
  status: number;
  headers: Record<string, string>;
  /** Body pieces (SSE events, or one JSON body); each is written (and flushed) separately. */
  parts: string[];
  /** Never send headers (hang_start). */
  hangStart?: boolean;
  /** After the parts: end the response, destroy the socket, or stall forever. */
  end: "end" | "destroy" | "hang";
  /** ms between parts (0 = next event-loop turn). */
  delay: number;
  /** >0: write the whole body in pieces of this many bytes instead. */
  split: number;
  /** ms between split pieces. */
  pause: number;
  /** Interleave `: keep-alive` comment lines and blank lines. */
  keepalive: boolean;
  /** ms to wait before the response starts (headers included): an upstream slow to answer. */
  wait: number;
  /** After the parts, instead of ending: write `text` every `every` ms until the client leaves. */
  trickle?: { text: string; every: number };
  scenario: string;
}

/** A scripted response queued with POST /__fake/script. */
export interface ScriptedResponse {
  /** Answer text (streamed word by word), finish_reason `finishReason` (default "stop"). */
  text?: string;
  /** Tool calls, streamed as Azure does, finish_reason "tool_calls". `arguments` is raw (may be malformed). */
  toolCalls?: { name: string; arguments: string; id?: string }[];
  finishReason?: FinishReason;
  usage?: Usage;
  /** An HTTP error: Azure's body for that status unless `body` (string verbatim, else JSON) is given. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Bytes to write verbatim as the body (status 200 and SSE headers unless given). */
  raw?: string;
  /** Any marker scenario, e.g. "hang_mid" or "break split=5". */
  scenario?: string;
  split?: number;
  delay?: number;
  pause?: number;
  keepalive?: boolean;
  wait?: number;
}

export interface Marker { name: string; opts: Record<string, string>; source: string }

const MARKER_RE = /\[\[fake:([\w-]+)([^\]]*)\]\]/;
const MARKER_RE_G = /\s*\[\[fake:[^\]]*\]\]\s*/g;

export function parseMarker(source: string): Marker | null {
  const m = MARKER_RE.exec(source);
  if (!m) return null;
  const opts: Record<string, string> = {};
  for (const tok of m[2].trim().split(/\s+/).filter(Boolean)) {
    const eq = tok.indexOf("=");
    if (eq < 0) opts[tok] = "1";
    else opts[tok.slice(0, eq)] = tok.slice(eq + 1);
  }
  return { name: m[1], opts, source: m[0] };
}
export const stripMarkers = (text: string) => text.replace(MARKER_RE_G, " ").trim();

export const UNICODE_TEXT = "你好，世界！这是一段中文测试文本。🌍🚀 Ünïcödé ✓ 👩‍💻 混合 emoji 😀 结束。";
const FILTER_CUT = { ...safeChoiceFilter(), violence: { filtered: true, severity: "medium" as const } };

export interface Ctx {
  req: WireRequest;
  /** Failure counters of the `error` scenario, per nonce. */
  counters: Map<string, number>;
}

const num = (v: string | undefined, d: number) => (v === undefined || v === "" || Number.isNaN(Number(v)) ? d : Number(v));

function basePlan(scenario: string, o: Record<string, string>): Plan {
  return {
    status: 200, headers: {}, parts: [], end: "end", scenario,
    delay: num(o.delay, 0), split: num(o.split, 0), pause: num(o.pause, 1), keepalive: "keepalive" in o, wait: num(o.wait, 0),
  };
}

function errorPlan(plan: Plan, w: WireResponse): Plan {
  return { ...plan, status: w.status, headers: w.headers, parts: [w.body] };
}

function userText(req: WireRequest): string {
  const msgs = req.messages ?? [];
  const i = lastUserIndex(msgs);
  return i < 0 ? "" : messageText(msgs[i].content);
}

function promptTokens(req: WireRequest): number {
  return estimateTokens((req.messages ?? []).map((m) => messageText(m.content)).join("\n"));
}

/** Plan for an answer, streamed (SSE) or as a JSON completion. `cut`: how a broken answer ends. */
function answerPlan(plan: Plan, ctx: Ctx, spec: AnswerSpec, cut?: "end" | "destroy" | "hang"): Plan {
  const text = (spec.pieces ?? []).join("") + (spec.toolCalls ?? []).map((c) => c.name + c.arguments).join("");
  const full: AnswerSpec = { usage: usageOf(promptTokens(ctx.req), estimateTokens(text)), ...spec };
  const meta = newMeta();
  const stream = ctx.req.stream === true;
  const parts = stream ? streamEvents(full, meta, ctx.req.stream_options?.include_usage === true) : [completionBody(full, meta)];
  if (cut && !stream) parts[0] = cut === "hang" ? "" : parts[0].slice(0, parts[0].length >> 1);
  return { ...plan, headers: okHeaders(stream), parts, end: cut ?? "end" };
}

function echo(plan: Plan, ctx: Ctx, finishReason: FinishReason = "stop"): Plan {
  return answerPlan(plan, ctx, { pieces: chunkText(`echo: ${stripMarkers(userText(ctx.req))}`), finishReason });
}

/** Plan for a marker scenario. */
export function markerPlan(marker: Marker | null, ctx: Ctx): Plan {
  const o = marker?.opts ?? {};
  const name = marker?.name ?? "echo";
  const plan = basePlan(name, o);
  const msgs = ctx.req.messages ?? [];
  switch (name) {
    case "unicode": return answerPlan(plan, ctx, { pieces: chunkText(UNICODE_TEXT), finishReason: "stop" });
    case "length": return echo(plan, ctx, "length");
    case "chunks": {
      const n = num(o.n, 10);
      const pieces = new Array<string>(n);
      for (let i = 0; i < n; i++) pieces[i] = `w${i} `;
      return answerPlan(plan, ctx, { pieces, finishReason: "stop" });
    }
    case "error": {
      const key = o.nonce ?? marker!.source;
      const count = ctx.counters.get(key) ?? 0;
      if (count >= num(o.fail, Infinity)) return echo(plan, ctx);
      ctx.counters.set(key, count + 1);
      const retry = { retryAfterMs: o.retry_after_ms ? Number(o.retry_after_ms) : undefined, retryAfter: o.retry_after ? Number(o.retry_after) : undefined };
      const w = errorForStatus(num(o.status, 500), retry);
      if (o.retry_after_ms) w.headers["retry-after-ms"] = o.retry_after_ms;
      if (o.retry_after) w.headers["retry-after"] = o.retry_after;
      return errorPlan(plan, w);
    }
    case "auth": return errorPlan(plan, authError());
    case "not_found": return errorPlan(plan, deploymentNotFoundError());
    case "prompt_filter": return errorPlan(plan, promptFilterError());
    case "answer_filter":
      return answerPlan(plan, ctx, { pieces: chunkText("This answer starts fine, 这部分没问题, then "), finishReason: "content_filter", finishFilter: FILTER_CUT });
    case "break":
      return answerPlan(plan, ctx, { pieces: chunkText("This stream breaks off"), finishReason: null, done: false }, "end");
    case "break_socket": {
      const p = answerPlan(plan, ctx, { pieces: chunkText("This socket dies"), finishReason: null, done: false }, "destroy");
      if (ctx.req.stream === true) p.parts.push('data: {"choices":[{"content_filter_results":{},"delta":{"content":"mid');
      return p;
    }
    case "hang_start": return { ...plan, hangStart: true, end: "hang" };
    case "huge_chunk": {
      // One content chunk whose text is `bytes` ASCII characters: a single SSE line a little longer.
      // With cjk=1, `bytes` characters of Chinese text instead (three bytes each in UTF-8).
      const n = num(o.bytes, 1024 * 1024);
      const text = o.cjk === "1" ? "中文回答".repeat(Math.ceil(n / 4)).slice(0, n) : "x".repeat(n);
      return answerPlan(plan, ctx, { pieces: ["ok ", text], finishReason: "stop" });
    }
    case "comments_only": {
      // A few words, then only `: keep-alive` comments and blank lines every `every` ms, forever.
      const p = answerPlan(plan, ctx, { pieces: chunkText("Thinking, then only comments"), finishReason: null, done: false }, "hang");
      return { ...p, trickle: { text: ": keep-alive\n\n\n", every: num(o.every, 200) } };
    }
    case "hang_mid":
      return answerPlan(plan, ctx, { pieces: chunkText("Waiting forever after this"), finishReason: null, done: false }, "hang");
    case "tools": {
      const last = msgs[msgs.length - 1];
      if (last?.role === "tool") {
        return answerPlan(plan, ctx, { pieces: chunkText(`tool result: ${messageText(last.content).slice(0, 200)}`), finishReason: "stop" });
      }
      const tools = (ctx.req.tools ?? []).map((t) => t.function?.name).filter((n): n is string => !!n);
      if (tools.length === 0) return echo(plan, ctx);
      const args = o.args !== undefined ? decodeURIComponent(o.args) : "{}";
      const toolCalls = Array.from({ length: num(o.n, 1) }, (_, i) => ({ name: o.name ?? tools[i % tools.length], arguments: args }));
      return answerPlan(plan, ctx, { toolCalls, finishReason: "tool_calls" });
    }
    default: return echo(plan, ctx);
  }
}

/** Plan for a scripted response. */
export function scriptedPlan(r: ScriptedResponse, ctx: Ctx): Plan {
  const o: Record<string, string> = {};
  if (r.split !== undefined) o.split = String(r.split);
  if (r.delay !== undefined) o.delay = String(r.delay);
  if (r.pause !== undefined) o.pause = String(r.pause);
  if (r.keepalive) o.keepalive = "1";
  if (r.wait !== undefined) o.wait = String(r.wait);
  const stream = ctx.req.stream === true;
  if (r.scenario !== undefined) {
    const m = parseMarker(`[[fake:${r.scenario}]]`);
    return markerPlan(m && { ...m, opts: { ...m.opts, ...o } }, ctx);
  }
  const plan = basePlan("script", o);
  if (r.raw !== undefined) {
    return { ...plan, status: r.status ?? 200, headers: { ...okHeaders(stream), ...r.headers }, parts: [r.raw] };
  }
  if (r.status !== undefined && r.status !== 200) {
    const w = errorForStatus(r.status);
    if (r.body !== undefined) w.body = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    return errorPlan(plan, { ...w, headers: { ...w.headers, ...r.headers } });
  }
  const spec: AnswerSpec = r.toolCalls
    ? { pieces: r.text ? chunkText(r.text) : [], toolCalls: r.toolCalls, finishReason: r.finishReason ?? "tool_calls" }
    : { pieces: chunkText(r.text ?? ""), finishReason: r.finishReason ?? "stop" };
  if (r.usage) spec.usage = r.usage;
  if (spec.finishReason === "content_filter") spec.finishFilter = FILTER_CUT;
  const p = answerPlan(plan, ctx, spec);
  return { ...p, headers: { ...p.headers, ...r.headers } };
}
