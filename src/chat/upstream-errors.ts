/**
 * Azure's failures as the service's errors (CONTRACT.md "Errors"). Messages point at the setting
 * to check and never echo a key, a URL with a key, or Azure's text for auth failures.
 */
import { APIConnectionTimeoutError, APIError } from "openai";
import { ApiError } from "../errors";

export function upstreamError(err: unknown, timeoutMs: number): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof APIConnectionTimeoutError) {
    return new ApiError(504, `Azure OpenAI did not start answering within ${timeoutMs} ms (UPSTREAM_TIMEOUT_MS)`);
  }
  if (!(err instanceof APIError) || err.status === undefined) {
    return new ApiError(502, "Could not reach Azure OpenAI: check AZURE_OPENAI_ENDPOINT");
  }
  const status = err.status;
  if (status === 400 && isContentFilter(err)) {
    return new ApiError(400, "The prompt was filtered by Azure OpenAI's content filter" + categories(err.error) + ".");
  }
  if (status === 401 || status === 403) {
    return new ApiError(502, `Azure OpenAI refused our credentials (HTTP ${status}): check AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT`);
  }
  if (status === 404) {
    return new ApiError(502, "Azure OpenAI found no such deployment (HTTP 404): check AZURE_OPENAI_DEPLOYMENT_NAME, AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_VERSION");
  }
  if (status === 429) {
    const retryAfter = Math.max(1, Math.ceil(retryDelayMs(err.headers, 0) / 1000));
    return new ApiError(429, "Azure OpenAI is rate limiting this service; retry later", { "Retry-After": String(retryAfter) });
  }
  if (status === 413) return new ApiError(413, "Azure OpenAI says the request is too large");
  if (status === 400 || status === 422) {
    return new ApiError(400, `Azure OpenAI rejected the request: ${cut(err.error)}`);
  }
  return new ApiError(502, `Azure OpenAI failed (HTTP ${status})`);
}

function isContentFilter(err: APIError): boolean {
  const body = err.error as { code?: string; innererror?: { code?: string }; inner_error?: { code?: string } } | undefined;
  const inner = body?.innererror?.code ?? body?.inner_error?.code;
  return err.code === "content_filter" || body?.code === "content_filter" || inner === "ResponsibleAIPolicyViolation";
}

/** ` (hate, violence)` from the filter results that say `filtered: true`. */
function categories(body: unknown): string {
  const b = body as { innererror?: { content_filter_result?: object }; inner_error?: { content_filter_results?: object } };
  const results = (b?.innererror?.content_filter_result ?? b?.inner_error?.content_filter_results ?? {}) as Record<string, { filtered?: boolean }>;
  const hit = Object.entries(results).filter(([, r]) => r?.filtered).map(([k]) => k);
  return hit.length ? ` (${hit.join(", ")})` : "";
}

/** Azure's `retry-after-ms`, then `retry-after` (seconds or a date), else 0.5 s, 1 s, … */
export function retryDelayMs(headers: Headers | undefined, attempt: number): number {
  const ms = Number(headers?.get("retry-after-ms"));
  if (headers?.has("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const after = headers?.get("retry-after");
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return 500 * 2 ** attempt;
}

/**
 * Azure's own message, cut to 300 characters, with anything that could be request content taken
 * out: data URLs and long base64-like runs (image bytes) and quoted text longer than 40 characters.
 */
function cut(body: unknown): string {
  const message = (body as { message?: unknown })?.message;
  const text = (typeof message === "string" ? message : "invalid request")
    .replace(/data:[^\s"']*/g, "[data URL]")
    .replace(/[A-Za-z0-9+/=]{64,}/g, "[…]")
    .replace(/(["'])[^"'\n]{40,}\1/g, "$1…$1");
  return text.length > 300 ? text.slice(0, 300) + "…" : text;
}
