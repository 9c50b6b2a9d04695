/**
 * Azure OpenAI chat-completions wire format (api-version 2024-10-21), byte for byte as the service
 * sends it. Dependency-free (no node: imports) so it runs under tsx, in vitest's Node project and in
 * workerd. Used by tools/fakes/fake-azure.ts and tools/fakes/demo-upstream.ts.
 *
 * Stream shape (what Azure really sends, incl. the gaps the OpenAPI file omits):
 *   data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[…]}
 *   data: {"choices":[{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},…}],…}
 *   data: {"choices":[{"content_filter_results":{…safe…},"delta":{"content":"Hi"},"finish_reason":null,"index":0,"logprobs":null}],…}
 *   data: {"choices":[{"content_filter_results":{},"delta":{},"finish_reason":"stop","index":0,"logprobs":null}],…}
 *   data: {"choices":[],…,"usage":{…}}          (only with stream_options.include_usage)
 *   data: [DONE]
 * Azure serialises object keys alphabetically; so do we.
 */

export const AZURE_MODEL = "gpt-4.1-2025-04-14";
export const SSE_DONE = "data: [DONE]\n\n";
export const SSE_KEEPALIVE = ": keep-alive\n\n";
/** `/openai/deployments/{deployment}/chat/completions` */
export const CHAT_PATH_RE = /^\/openai\/deployments\/([^/]+)\/chat\/completions\/?$/;
/** Azure's v1 API: `/openai/v1/chat/completions`, the deployment in the body's `model`, no api-version. */
export const V1_CHAT_PATH_RE = /^\/openai\/v1\/chat\/completions\/?$/;
/** A Cloudflare AI Gateway for Azure: `/v1/{account}/{gateway}/azure-openai/{resource}/{deployment}/chat/completions`. */
export const GATEWAY_CHAT_PATH_RE = /\/azure-openai\/([^/]+)\/([^/]+)\/chat\/completions\/?$/;

/**
 * An OpenAI-compatible endpoint (`UPSTREAM=openai`): `{base}/chat/completions` where the base ends in
 * `/v1` (OpenAI, Ollama, vLLM, llama.cpp's server) or `/compat` (Cloudflare AI Gateway's
 * OpenAI-compatible endpoint, `/v1/{account}/{gateway}/compat`). Bearer auth, `model` in the body.
 */
export const OPENAI_CHAT_PATH_RE = /\/(?:v1|compat)\/chat\/completions\/?$/;

/** The ways a chat completion is asked for: Azure's three and the OpenAI-compatible one (src/upstream/adapters.ts speaks each). */
export type ChatApi = "deployments" | "v1" | "ai-gateway" | "openai";

/** Which way a request path asks for a chat completion, and the deployment it names; null: none. */
export function chatRoute(pathname: string): { api: ChatApi; deployment: string | null } | null {
  let m = CHAT_PATH_RE.exec(pathname);
  if (m) return { api: "deployments", deployment: decodeURIComponent(m[1]) };
  if (V1_CHAT_PATH_RE.test(pathname)) return { api: "v1", deployment: null };
  m = GATEWAY_CHAT_PATH_RE.exec(pathname);
  if (m) return { api: "ai-gateway", deployment: decodeURIComponent(m[2]) };
  if (OPENAI_CHAT_PATH_RE.test(pathname)) return { api: "openai", deployment: null };
  return null;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";
export type Severity = "safe" | "low" | "medium" | "high";
export interface SeverityResult { filtered: boolean; severity: Severity }
export interface DetectedResult { filtered: boolean; detected: boolean }
export interface ContentFilterResults {
  hate?: SeverityResult; self_harm?: SeverityResult; sexual?: SeverityResult; violence?: SeverityResult;
  jailbreak?: DetectedResult; profanity?: DetectedResult; protected_material_text?: DetectedResult;
  protected_material_code?: DetectedResult;
}
export interface Usage { prompt_tokens: number; completion_tokens: number; total_tokens: number }
export interface ToolCallSpec { id?: string; name: string; arguments: string }
export interface StreamMeta { id: string; created: number; model: string; system_fingerprint: string | null }

/** What to answer; turned into SSE events by streamEvents() or a JSON body by completionBody(). */
export interface AnswerSpec {
  /** Content deltas, in order (their concatenation is the answer text). */
  pieces?: string[];
  toolCalls?: ToolCallSpec[];
  /** Size of each `function.arguments` fragment, in code points (default 8). */
  argPieceSize?: number;
  /** null = no finish chunk (a broken stream). */
  finishReason: FinishReason | null;
  /** content_filter_results of the finish chunk (e.g. the filtered category). */
  finishFilter?: ContentFilterResults;
  usage?: Usage;
  /** Write `data: [DONE]` (default true). */
  done?: boolean;
}

// ---------------------------------------------------------------------------------------------
// small helpers

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export function randomId(prefix: string, length: number, alphabet = ALNUM): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = prefix;
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
export const newCompletionId = () => randomId("chatcmpl-", 29);
export const newToolCallId = () => randomId("call_", 24);

export function newMeta(model = AZURE_MODEL, systemFingerprint: string | null = "fp_b38e740b47"): StreamMeta {
  return { id: newCompletionId(), created: Math.floor(Date.now() / 1000), model, system_fingerprint: systemFingerprint };
}

/** One SSE event: `data: {json}\n\n`. A string is written as is (already serialised). */
export function sseData(payload: unknown): string {
  return `data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`;
}

const safe = (): SeverityResult => ({ filtered: false, severity: "safe" });
/** Prompt-side results (contentFilterPromptResults), all categories safe. */
export function safePromptFilter(): ContentFilterResults {
  return { hate: safe(), jailbreak: { filtered: false, detected: false }, self_harm: safe(), sexual: safe(), violence: safe() };
}
/** Choice-side results (contentFilterChoiceResults), all categories safe. */
export function safeChoiceFilter(): ContentFilterResults {
  return { hate: safe(), self_harm: safe(), sexual: safe(), violence: safe() };
}

/** Token estimate used by fakes and the demo: ~4 characters per token, at least 1. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
export function usageOf(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
/** Usage as Azure serialises it (with the *_details objects). */
function wireUsage(u: Usage) {
  return {
    completion_tokens: u.completion_tokens,
    completion_tokens_details: { accepted_prediction_tokens: 0, audio_tokens: 0, reasoning_tokens: 0, rejected_prediction_tokens: 0 },
    prompt_tokens: u.prompt_tokens,
    prompt_tokens_details: { audio_tokens: 0, cached_tokens: 0 },
    total_tokens: u.total_tokens,
  };
}

/** Split into pieces of `size` code points (never inside a surrogate pair). */
export function splitCodePoints(text: string, size: number): string[] {
  const cps = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(""));
  return out;
}

// ---------------------------------------------------------------------------------------------
// stream chunks

/** The first chunk: empty choices, prompt_filter_results, empty id/model/object, created 0. */
export function promptFilterChunk(filter: ContentFilterResults = safePromptFilter()): string {
  return sseData({ choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: [{ prompt_index: 0, content_filter_results: filter }] });
}

/** Builds the chunks of one stream; content chunks use a precomputed template (cheap per chunk). */
export class ChunkEncoder {
  private readonly tail: string;
  private readonly contentHead: string;
  private readonly contentTail: string;
  constructor(readonly meta: StreamMeta) {
    const m = meta;
    this.tail = `"created":${m.created},"id":${JSON.stringify(m.id)},"model":${JSON.stringify(m.model)},"object":"chat.completion.chunk","system_fingerprint":${JSON.stringify(m.system_fingerprint)}}\n\n`;
    this.contentHead = `data: {"choices":[{"content_filter_results":${JSON.stringify(safeChoiceFilter())},"delta":{"content":`;
    this.contentTail = `},"finish_reason":null,"index":0,"logprobs":null}],` + this.tail;
  }
  private choice(delta: object, finishReason: FinishReason | null, filter: ContentFilterResults = {}): string {
    const c = { content_filter_results: filter, delta, finish_reason: finishReason, index: 0, logprobs: null };
    return `data: {"choices":[${JSON.stringify(c)}],` + this.tail;
  }
  /** `delta: {content:"", refusal:null, role:"assistant"}` */
  role(): string { return this.choice({ content: "", refusal: null, role: "assistant" }, null); }
  content(text: string): string { return this.contentHead + JSON.stringify(text) + this.contentTail; }
  /** First fragment of a tool call (carries role when `first`). */
  toolCallStart(index: number, id: string, name: string, first: boolean): string {
    const call = { function: { arguments: "", name }, id, index, type: "function" };
    const delta = first ? { content: null, refusal: null, role: "assistant", tool_calls: [call] } : { tool_calls: [call] };
    return this.choice(delta, null);
  }
  toolCallArgs(index: number, piece: string): string {
    return this.choice({ tool_calls: [{ function: { arguments: piece }, index }] }, null);
  }
  finish(reason: FinishReason, filter: ContentFilterResults = {}): string { return this.choice({}, reason, filter); }
  usage(u: Usage): string {
    const m = this.meta;
    return sseData({ choices: [], created: m.created, id: m.id, model: m.model, object: "chat.completion.chunk", system_fingerprint: m.system_fingerprint, usage: wireUsage(u) });
  }
}

/** All SSE events of an answer, in order. Usage is sent only when includeUsage and spec.usage. */
export function streamEvents(spec: AnswerSpec, meta: StreamMeta, includeUsage: boolean): string[] {
  const enc = new ChunkEncoder(meta);
  const out = [promptFilterChunk()];
  const pieces = spec.pieces ?? [];
  const calls = spec.toolCalls ?? [];
  if (pieces.length > 0 || calls.length === 0) out.push(enc.role());
  for (const p of pieces) out.push(enc.content(p));
  calls.forEach((call, index) => {
    out.push(enc.toolCallStart(index, call.id ?? newToolCallId(), call.name, index === 0 && pieces.length === 0));
    for (const piece of splitCodePoints(call.arguments, spec.argPieceSize ?? 8)) out.push(enc.toolCallArgs(index, piece));
  });
  if (spec.finishReason) out.push(enc.finish(spec.finishReason, spec.finishFilter));
  if (spec.finishReason && includeUsage && spec.usage) out.push(enc.usage(spec.usage));
  if (spec.finishReason && spec.done !== false) out.push(SSE_DONE);
  return out;
}

/** Non-streaming `chat.completion` body (createChatCompletionResponse) as Azure sends it. */
export function completionBody(spec: AnswerSpec, meta: StreamMeta): string {
  const text = (spec.pieces ?? []).join("");
  const calls = (spec.toolCalls ?? []).map((c) => ({ function: { arguments: c.arguments, name: c.name }, id: c.id ?? newToolCallId(), type: "function" }));
  const message: Record<string, unknown> = { annotations: [], content: calls.length && !text ? null : text, refusal: null, role: "assistant" };
  if (calls.length) message.tool_calls = calls;
  const filter = spec.finishReason === "content_filter" ? spec.finishFilter ?? {} : { ...safeChoiceFilter(), protected_material_code: { filtered: false, detected: false }, protected_material_text: { filtered: false, detected: false } };
  return JSON.stringify({
    choices: [{ content_filter_results: filter, finish_reason: spec.finishReason ?? "stop", index: 0, logprobs: null, message }],
    created: meta.created, id: meta.id, model: meta.model, object: "chat.completion",
    prompt_filter_results: [{ prompt_index: 0, content_filter_results: safePromptFilter() }],
    system_fingerprint: meta.system_fingerprint,
    usage: wireUsage(spec.usage ?? usageOf(1, estimateTokens(text))),
  });
}

// ---------------------------------------------------------------------------------------------
// error responses

export interface WireResponse { status: number; headers: Record<string, string>; body: string }

const JSON_HEADERS = { "content-type": "application/json" };
function errorResponse(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): WireResponse {
  return { status, headers: { ...JSON_HEADERS, "apim-request-id": crypto.randomUUID(), ...headers }, body: JSON.stringify({ error }) };
}

export const AUTH_MESSAGE = "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";
export const PROMPT_FILTER_MESSAGE = "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766";

/** 400 on a filtered prompt. Azure sends `innererror.content_filter_result` (the OpenAPI file says `inner_error.content_filter_results`). */
export function promptFilterError(filter?: ContentFilterResults): WireResponse {
  const result = filter ?? { ...safePromptFilter(), violence: { filtered: true, severity: "medium" } };
  return errorResponse(400, { message: PROMPT_FILTER_MESSAGE, type: null, param: "prompt", code: "content_filter", status: 400, innererror: { code: "ResponsibleAIPolicyViolation", content_filter_result: result } });
}
export function authError(): WireResponse {
  return errorResponse(401, { code: "401", message: AUTH_MESSAGE }, { "www-authenticate": 'AzureApiManagementKey realm="https://example.openai.azure.com/openai",name="api-key",type="header"' });
}
/** OpenAI's 401 for a missing or wrong bearer key. */
export function openaiAuthError(): WireResponse {
  return {
    status: 401,
    headers: { ...JSON_HEADERS, "x-request-id": `req_${crypto.randomUUID().replaceAll("-", "")}` },
    body: JSON.stringify({ error: { message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", type: "invalid_request_error", param: null, code: null } }),
  };
}
export function deploymentNotFoundError(): WireResponse {
  return errorResponse(404, { code: "DeploymentNotFound", message: "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again." });
}
export function resourceNotFoundError(): WireResponse {
  return errorResponse(404, { code: "404", message: "Resource not found" });
}
export function badRequestError(message: string, param: string | null = null): WireResponse {
  return errorResponse(400, { message, type: "invalid_request_error", param, code: null });
}
/** 429 with `retry-after-ms` / `retry-after` headers (defaults: 1000 ms / 1 s). */
export function rateLimitError(retryAfterMs?: number, retryAfterS?: number): WireResponse {
  const s = retryAfterS ?? Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000));
  const ms = retryAfterMs ?? s * 1000;
  return errorResponse(429, {
    code: "429",
    message: `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after ${s} second${s === 1 ? "" : "s"}. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
  }, { "retry-after": String(s), "retry-after-ms": String(ms), "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "0" });
}
export function serverError(status = 500): WireResponse {
  if (status === 503) return errorResponse(503, { code: "ServiceUnavailable", message: "The service is temporarily unable to process your request. Please try again later." });
  if (status === 500) return errorResponse(500, { code: "InternalServerError", message: "The server had an error while processing your request. Sorry about that!" });
  return errorResponse(status, { code: String(status), message: `Upstream error ${status}.` });
}
/** The Azure error for a status: 400 (prompt filter), 401, 404, 429, 5xx. */
export function errorForStatus(status: number, o: { retryAfterMs?: number; retryAfter?: number } = {}): WireResponse {
  if (status === 400) return promptFilterError();
  if (status === 401) return authError();
  if (status === 404) return deploymentNotFoundError();
  if (status === 429) return rateLimitError(o.retryAfterMs, o.retryAfter);
  return serverError(status);
}

/** Response headers of a successful stream / JSON completion (what Azure sends, minus noise). */
export function okHeaders(stream: boolean): Record<string, string> {
  return {
    "content-type": stream ? "text/event-stream; charset=utf-8" : "application/json",
    "apim-request-id": crypto.randomUUID(),
    "x-content-type-options": "nosniff",
    "x-ms-region": "Sweden Central",
    "x-ratelimit-remaining-requests": "249",
    "x-ratelimit-remaining-tokens": "249000",
    ...(stream ? { "cache-control": "no-cache" } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// reading requests (Azure format: content is a string or [{type:"text"}|{type:"image_url"}])

export interface WireMessage { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }
export interface WireRequest { model?: string; messages?: WireMessage[]; stream?: boolean; stream_options?: { include_usage?: boolean }; tools?: { type?: string; function?: { name?: string } }[] }

/** Text of a message's content (string, or the `text` parts joined with "\n"). */
export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.filter((p) => p && typeof p.text === "string").map((p) => p.text as string).join("\n");
}
/** `image_url.url` of each image part of a message. */
export function messageImages(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  return content.filter((p) => p && p.type === "image_url").map((p) => String(p.image_url?.url ?? p.image_url ?? ""));
}
export function lastUserIndex(messages: WireMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === "user") return i;
  return -1;
}

const CJK = "\\u2E80-\\u9FFF\\uAC00-\\uD7AF\\uF900-\\uFAFF\\uFF00-\\uFFEF";
const CHUNK_RE = new RegExp(`[${CJK}]{1,3}|[^\\s${CJK}]+\\s*|\\s+`, "gu");
/** Split text the way a model streams it: a word (with its trailing space) or 1–3 CJK characters per piece. */
export function chunkText(text: string): string[] {
  return text.match(CHUNK_RE) ?? [];
}
