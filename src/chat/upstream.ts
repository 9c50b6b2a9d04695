/**
 * Opens one streamed chat completion with the official SDK and returns the raw response once its
 * headers are in (the body is read by chunks.ts). One round logic for every upstream: the SDK
 * client of the configured one comes from src/upstream/adapters.ts (Azure OpenAI, or any
 * OpenAI-compatible endpoint). Retries 429 / 5xx before the first byte, honouring
 * `retry-after-ms` / `retry-after` within a bounded total wait; the SDK's own retries are off
 * because they also retry timeouts and know no total bound.
 *
 * A 2xx that is not an event stream (a 204, an HTML page, a JSON completion) is a 502 that says
 * what the upstream sent. The whole round — retries, the wait for the first byte and the stream
 * itself — is bounded by UPSTREAM_ROUND_TIMEOUT_MS (504).
 */
import { OpenAI, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import type { Config } from "../config";
import { NO_SECRETS, type Redactor } from "../security/redact";
import { azureAdapter, openaiAdapter } from "../upstream/adapters";
import { AZURE_LABEL, OPENAI_LABEL, type UpstreamLabel } from "../upstream/label";
import { UpstreamError } from "../upstream/safe-fetch";
import { setRoundDeadline } from "./chunks";
import { retryDelayMs, roundTimeoutError, upstreamApiError, upstreamError } from "./upstream-errors";

export interface UpstreamOptions {
  signal: AbortSignal;
  timeoutMs: number;
  maxRetries: number;
  retryMaxWaitMs: number;
  /** Bound on the whole round (default: the client's UPSTREAM_ROUND_TIMEOUT_MS). */
  roundTimeoutMs?: number;
}

/** What a client knows about its config beyond the SDK's own options. */
interface ClientSettings {
  roundTimeoutMs: number;
  redact: Redactor;
  label: UpstreamLabel;
}

const clients = new WeakMap<Config["azure"] | Config["openai"], OpenAI>();
const settings = new WeakMap<OpenAI, ClientSettings>();
const DEFAULT_SETTINGS: ClientSettings = { roundTimeoutMs: 300_000, redact: NO_SECRETS, label: AZURE_LABEL };

/** The SDK client of the configured upstream (UPSTREAM), one per config. */
export function upstreamClient(config: Config): OpenAI {
  const { upstreamTimeoutMs, redact } = config;
  return config.upstream.kind === "openai" ? openaiClient(config.openai, upstreamTimeoutMs, redact) : azureClient(config.azure, upstreamTimeoutMs, redact);
}

/** The SDK client for the configured Azure endpoint, one per config (docs/settings.md, "Upstream options"). */
export function azureClient(azure: Config["azure"], timeoutMs: number, redact: Redactor): OpenAI {
  return cached(azure, () => azureAdapter(azure, timeoutMs), { roundTimeoutMs: azure.roundTimeoutMs, redact, label: AZURE_LABEL });
}

/** The SDK client for an OpenAI-compatible endpoint (`UPSTREAM=openai`), one per config. */
export function openaiClient(openai: Config["openai"], timeoutMs: number, redact: Redactor): OpenAI {
  return cached(openai, () => openaiAdapter(openai, timeoutMs), { roundTimeoutMs: openai.roundTimeoutMs, redact, label: OPENAI_LABEL });
}

function cached(key: Config["azure"] | Config["openai"], make: () => OpenAI, known: ClientSettings): OpenAI {
  let client = clients.get(key);
  if (!client) {
    client = make();
    clients.set(key, client);
    settings.set(client, known);
  }
  return client;
}

export async function openCompletionStream(
  client: OpenAI,
  body: ChatCompletionCreateParamsStreaming,
  options: UpstreamOptions,
): Promise<Response> {
  const { redact, label, ...known } = settings.get(client) ?? DEFAULT_SETTINGS;
  const roundTimeoutMs = options.roundTimeoutMs ?? known.roundTimeoutMs;
  const deadline = Date.now() + roundTimeoutMs;
  const round = AbortSignal.timeout(roundTimeoutMs);
  const signal = AbortSignal.any([options.signal, round]);
  const roundOver = () => round.aborted && !options.signal.aborted;
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await client.chat.completions
        .create(body, { signal, timeout: Math.min(options.timeoutMs, Math.max(1, deadline - Date.now())), maxRetries: 0 })
        .asResponse();
    } catch (err) {
      if (options.signal.aborted) throw err;
      if (roundOver() || (err instanceof APIConnectionTimeoutError && Date.now() >= deadline)) {
        throw roundTimeoutError(roundTimeoutMs, label, err, redact);
      }
      if (err instanceof APIUserAbortError) throw err;
      // A connection that failed before any answer (e.g. a pooled keep-alive socket the server had
      // closed) is tried once more at once, as HTTP clients do; a refused redirect is not.
      if (err instanceof APIConnectionError && !(err instanceof APIConnectionTimeoutError) && !(err.cause instanceof UpstreamError) && attempt === 0) {
        continue;
      }
      if (err instanceof APIConnectionTimeoutError || !(err instanceof APIError) || err instanceof APIConnectionError) {
        throw upstreamError(err, options.timeoutMs, redact, label);
      }
      const retryable = err.status === 429 || (err.status ?? 0) >= 500;
      const delay = retryable ? retryDelayMs(err.headers, attempt) : Infinity;
      if (attempt >= options.maxRetries || waited + delay > options.retryMaxWaitMs) {
        throw upstreamError(err, options.timeoutMs, redact, label);
      }
      waited += delay;
      try {
        await sleep(delay, signal);
      } catch (reason) {
        if (roundOver()) throw roundTimeoutError(roundTimeoutMs, label, reason, redact);
        throw reason;
      }
      continue;
    }
    checkEventStream(response, redact, label);
    setRoundDeadline(response.body!, deadline, roundTimeoutMs);
    return response;
  }
}

/** A 2xx that is not an event stream ends here, with what the upstream sent, before the stream starts. */
function checkEventStream(response: Response, redact: Redactor, label: UpstreamLabel): void {
  if (!response.body || response.status === 204 || response.status === 205) {
    response.body?.cancel().catch(() => {});
    throw upstreamApiError(502, `${label.Name} answered ${response.status} with no body`, undefined, redact);
  }
  const type = response.headers.get("content-type") ?? "";
  const essence = type.split(";")[0].trim().toLowerCase();
  if (essence !== "text/event-stream") {
    response.body.cancel().catch(() => {});
    const what = essence ? `with ${essence.slice(0, 100)}` : "without a content type";
    throw upstreamApiError(502, `${label.Name} answered ${what}, not an event stream: check ${label.endpoint}`, undefined, redact);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
