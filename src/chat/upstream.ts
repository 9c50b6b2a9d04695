/**
 * Opens one streamed chat completion on Azure OpenAI with the official SDK and returns the raw
 * response once its headers are in (the body is read by chunks.ts). The endpoint is spoken to one
 * of three ways (Config["azure"]["api"]): classic Azure with `AzureOpenAI`; Azure's v1 API and a
 * Cloudflare AI Gateway for Azure with the SDK's plain `OpenAI` client on a `baseURL`; the key
 * always travels as `api-key`, never also as a bearer token. Retries 429 / 5xx before the
 * first byte, honouring `retry-after-ms` / `retry-after` within a bounded total wait; the SDK's
 * own retries are off because they also retry timeouts and know no total bound.
 *
 * Every request goes through the upstream fetch (src/upstream/safe-fetch.ts): a redirect is
 * refused, never followed with our key. A 2xx that is not an event stream (a 204, an HTML page, a
 * JSON completion) is a 502 that says what Azure sent. The whole round — retries, the wait for the
 * first byte and the stream itself — is bounded by UPSTREAM_ROUND_TIMEOUT_MS (504).
 */
import { AzureOpenAI, OpenAI, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import type { Config } from "../config";
import { NO_SECRETS, type Redactor } from "../security/redact";
import { UpstreamError, safeFetch } from "../upstream/safe-fetch";
import { setRoundDeadline } from "./chunks";
import { retryDelayMs, upstreamApiError, upstreamError } from "./upstream-errors";

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
}

const clients = new WeakMap<Config["azure"], OpenAI>();
const settings = new WeakMap<OpenAI, ClientSettings>();
const DEFAULT_SETTINGS: ClientSettings = { roundTimeoutMs: 300_000, redact: NO_SECRETS };

/** The SDK client for the configured endpoint, one per config (docs/settings.md, "Upstream options"). */
export function azureClient(azure: Config["azure"], timeoutMs: number): OpenAI {
  let client = clients.get(azure);
  if (!client) {
    const common = {
      apiKey: azure.apiKey,
      maxRetries: 0,
      timeout: timeoutMs,
      // Redirects refused; Workers' fetch called unbound from the global scope.
      fetch: safeFetch({ upstream: "Azure OpenAI", setting: "AZURE_OPENAI_ENDPOINT" }),
    };
    const endpoint = azure.endpoint.replace(/\/+$/, "");
    // The plain client would send the key as `Authorization: Bearer`; Azure and the gateway take `api-key`.
    const keyHeader = { "api-key": azure.apiKey, Authorization: null };
    switch (azure.api) {
      case "deployments":
        // {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…
        client = new AzureOpenAI({ ...common, endpoint: azure.endpoint, apiVersion: azure.apiVersion, deployment: azure.deployment });
        break;
      case "v1":
        // {endpoint}/openai/v1/chat/completions; the deployment is the body's `model`.
        client = new OpenAI({ ...common, baseURL: `${endpoint}/openai/v1`, defaultHeaders: keyHeader });
        break;
      case "ai-gateway":
        // {gateway}/azure-openai/{resource}/{deployment}/chat/completions?api-version=…
        client = new OpenAI({
          ...common,
          baseURL: `${endpoint}/${encodeURIComponent(azure.deployment)}`,
          defaultQuery: { "api-version": azure.apiVersion },
          defaultHeaders: keyHeader,
        });
        break;
    }
    clients.set(azure, client);
    settings.set(client, { roundTimeoutMs: azure.roundTimeoutMs, redact: azure.redact });
  }
  return client;
}

export async function openCompletionStream(
  client: OpenAI,
  body: ChatCompletionCreateParamsStreaming,
  options: UpstreamOptions,
): Promise<Response> {
  const { redact, ...known } = settings.get(client) ?? DEFAULT_SETTINGS;
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
        throw roundTimeoutError(roundTimeoutMs, err, redact);
      }
      if (err instanceof APIUserAbortError) throw err;
      // A connection that failed before any answer (e.g. a pooled keep-alive socket the server had
      // closed) is tried once more at once, as HTTP clients do; a refused redirect is not.
      if (err instanceof APIConnectionError && !(err instanceof APIConnectionTimeoutError) && !(err.cause instanceof UpstreamError) && attempt === 0) {
        continue;
      }
      if (err instanceof APIConnectionTimeoutError || !(err instanceof APIError) || err instanceof APIConnectionError) {
        throw upstreamError(err, options.timeoutMs, redact);
      }
      const retryable = err.status === 429 || (err.status ?? 0) >= 500;
      const delay = retryable ? retryDelayMs(err.headers, attempt) : Infinity;
      if (attempt >= options.maxRetries || waited + delay > options.retryMaxWaitMs) {
        throw upstreamError(err, options.timeoutMs, redact);
      }
      waited += delay;
      try {
        await sleep(delay, signal);
      } catch (reason) {
        if (roundOver()) throw roundTimeoutError(roundTimeoutMs, reason, redact);
        throw reason;
      }
      continue;
    }
    checkEventStream(response, redact);
    setRoundDeadline(response.body!, deadline, roundTimeoutMs);
    return response;
  }
}

/** A 2xx that is not an event stream ends here, with what Azure sent, before the stream starts. */
function checkEventStream(response: Response, redact: Redactor): void {
  if (!response.body || response.status === 204 || response.status === 205) {
    response.body?.cancel().catch(() => {});
    throw upstreamApiError(502, `Azure OpenAI answered ${response.status} with no body`, undefined, redact);
  }
  const type = response.headers.get("content-type") ?? "";
  const essence = type.split(";")[0].trim().toLowerCase();
  if (essence !== "text/event-stream") {
    response.body.cancel().catch(() => {});
    const what = essence ? `with ${essence.slice(0, 100)}` : "without a content type";
    throw upstreamApiError(502, `Azure OpenAI answered ${what}, not an event stream: check AZURE_OPENAI_ENDPOINT`, undefined, redact);
  }
}

function roundTimeoutError(roundTimeoutMs: number, cause: unknown, redact: Redactor) {
  return upstreamApiError(504, `Azure OpenAI did not finish the round within ${roundTimeoutMs} ms (UPSTREAM_ROUND_TIMEOUT_MS)`, cause, redact);
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
