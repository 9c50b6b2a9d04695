/**
 * Opens one streamed chat completion on Azure OpenAI with the official SDK and returns the raw
 * response once its headers are in (the body is read by chunks.ts). Retries 429 / 5xx before the
 * first byte, honouring `retry-after-ms` / `retry-after` within a bounded total wait; the SDK's
 * own retries are off because they also retry timeouts and know no total bound.
 */
import { AzureOpenAI, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import type { Config } from "../config";
import { retryDelayMs, upstreamError } from "./upstream-errors";

export interface UpstreamOptions {
  signal: AbortSignal;
  timeoutMs: number;
  maxRetries: number;
  retryMaxWaitMs: number;
}

const clients = new WeakMap<Config["azure"], AzureOpenAI>();

export function azureClient(azure: Config["azure"], timeoutMs: number): AzureOpenAI {
  let client = clients.get(azure);
  if (!client) {
    client = new AzureOpenAI({
      endpoint: azure.endpoint,
      apiKey: azure.apiKey,
      apiVersion: azure.apiVersion,
      deployment: azure.deployment,
      maxRetries: 0,
      timeout: timeoutMs,
      // Workers' fetch must be called unbound from the global scope.
      fetch: (input, init) => fetch(input, init),
    });
    clients.set(azure, client);
  }
  return client;
}

export async function openCompletionStream(
  client: AzureOpenAI,
  body: ChatCompletionCreateParamsStreaming,
  options: UpstreamOptions,
): Promise<Response> {
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.chat.completions
        .create(body, { signal: options.signal, timeout: options.timeoutMs, maxRetries: 0 })
        .asResponse();
    } catch (err) {
      if (err instanceof APIUserAbortError || options.signal.aborted) throw err;
      if (err instanceof APIConnectionTimeoutError || !(err instanceof APIError) || err instanceof APIConnectionError) {
        throw upstreamError(err, options.timeoutMs);
      }
      const retryable = err.status === 429 || (err.status ?? 0) >= 500;
      const delay = retryable ? retryDelayMs(err.headers, attempt) : Infinity;
      if (attempt >= options.maxRetries || waited + delay > options.retryMaxWaitMs) {
        throw upstreamError(err, options.timeoutMs);
      }
      waited += delay;
      await sleep(delay, options.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
