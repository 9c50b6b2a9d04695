/**
 * The upstream's failures (Azure OpenAI, or an OpenAI-compatible endpoint: `label` names it and its
 * settings) as the service's errors (docs/api.md, "Errors"), classified by the openai SDK's error
 * classes; the SDK's error stays attached as `cause`. Messages point at the setting to check and
 * never echo a key (the upstream's text passes through the config's redactor), a URL with a key,
 * or the upstream's text for auth failures.
 */
import {
  APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AuthenticationError, BadRequestError,
  InternalServerError, NotFoundError, PermissionDeniedError, RateLimitError, UnprocessableEntityError,
} from "openai";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../errors";
import type { ReasonKey } from "../steps/i18n";
import { NO_SECRETS, type Redactor } from "../security/redact";
import { AZURE_LABEL, type UpstreamLabel } from "../upstream/label";
import { UpstreamError } from "../upstream/safe-fetch";

/** An ApiError for an upstream failure, its message redacted. */
export function upstreamApiError(
  status: ContentfulStatusCode,
  message: string,
  cause: unknown,
  redact: Redactor = NO_SECRETS,
  headers: Record<string, string> = {},
  reason?: ReasonKey,
): ApiError {
  return new ApiError(status, redact.redact(message), headers, { cause, reason });
}

/**
 * The round took longer than UPSTREAM_ROUND_TIMEOUT_MS (504), whether it was still being opened
 * (src/chat/upstream.ts, with what stopped it as the cause) or its stream was being read (chunks.ts).
 */
export function roundTimeoutError(timeoutMs: number, label: UpstreamLabel = AZURE_LABEL, cause?: unknown, redact: Redactor = NO_SECRETS): ApiError {
  return upstreamApiError(504, `${label.Name} did not finish the round within ${timeoutMs} ms (UPSTREAM_ROUND_TIMEOUT_MS)`, cause, redact, {}, "timeout");
}

export function upstreamError(err: unknown, timeoutMs: number, redact: Redactor = NO_SECRETS, label: UpstreamLabel = AZURE_LABEL): ApiError {
  const { Name, name } = label;
  if (err instanceof ApiError) return err;
  const fail = (status: ContentfulStatusCode, message: string, reason?: ReasonKey, headers?: Record<string, string>) =>
    upstreamApiError(status, message, err, redact, headers, reason);

  if (err instanceof UpstreamError) return fail(502, err.message);
  if (err instanceof APIConnectionTimeoutError) {
    return fail(504, `${Name} did not start answering within ${timeoutMs} ms (UPSTREAM_TIMEOUT_MS)`, "timeout");
  }
  if (err instanceof APIConnectionError) {
    // A redirect (or another answer we refused) is thrown by our fetch; the SDK wraps it.
    if (err.cause instanceof UpstreamError) return fail(502, err.cause.message);
    return fail(502, `Could not reach ${name}: check ${label.endpoint}`, "unreachable");
  }
  if (err instanceof APIUserAbortError) return fail(502, `The request to ${name} was cancelled`);
  if (err instanceof BadRequestError && isContentFilter(err)) {
    return fail(400, `The prompt was filtered by ${name}'s content filter` + categories(err.error) + ".", "promptFiltered");
  }
  if (err instanceof BadRequestError || err instanceof UnprocessableEntityError) {
    return fail(400, `${Name} rejected the request: ${cut(err.error, redact)}`, "rejected");
  }
  if (err instanceof AuthenticationError || err instanceof PermissionDeniedError) {
    return fail(502, `${Name} refused our credentials (HTTP ${err.status}): check ${label.key} and ${label.endpoint}`, "credentials");
  }
  if (err instanceof NotFoundError) {
    return fail(502, label.notFound, "deploymentNotFound");
  }
  if (err instanceof RateLimitError) {
    const retryAfter = Math.max(1, Math.ceil(retryDelayMs(err.headers, 0) / 1000));
    return fail(429, `${Name} is rate limiting this service; retry later`, "rateLimited", { "Retry-After": String(retryAfter) });
  }
  if (err instanceof InternalServerError) return fail(502, `${Name} failed (HTTP ${err.status})`);
  if (err instanceof APIError && err.status !== undefined) {
    // Statuses without a class of their own (409, 413, other 4xx).
    if (err.status === 413) return fail(413, `${Name} says the request is too large`, "tooLarge");
    return fail(502, `${Name} failed (HTTP ${err.status})`);
  }
  return fail(502, `Could not reach ${name}: check ${label.endpoint}`, "unreachable");
}

function isContentFilter(err: BadRequestError): boolean {
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
 * Azure's own message, cut to 300 characters, with our secrets redacted (before the cut, so no
 * part of one survives it) and anything that could be request content taken out: data URLs and
 * long base64-like runs (image bytes) and quoted text longer than 40 characters.
 */
function cut(body: unknown, redact: Redactor): string {
  const message = (body as { message?: unknown })?.message;
  const text = redact.redact(typeof message === "string" ? message : "invalid request")
    .replace(/data:[^\s"']*/g, "[data URL]")
    .replace(/[A-Za-z0-9+/=]{64,}/g, "[…]")
    .replace(/(["'])[^"'\n]{40,}\1/g, "$1…$1");
  return text.length > 300 ? text.slice(0, 300) + "…" : text;
}
