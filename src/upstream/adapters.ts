/**
 * The two ways to an upstream, as the openai SDK's client for it: where requests go, how the key
 * travels, and what the body's `model` is. Everything else (retries, deadlines, the stream, the
 * hardening) is the one round logic of src/chat/upstream.ts and src/chat/chunks.ts.
 *
 * - Azure OpenAI (`UPSTREAM=azure`, the default), spoken to one of three ways (Config["azure"]["api"]):
 *   classic Azure with `AzureOpenAI`; Azure's v1 API and a Cloudflare AI Gateway for Azure with the
 *   plain `OpenAI` client on a `baseURL`. The key travels as `api-key`, never also as a bearer token.
 * - Any OpenAI-compatible endpoint (`UPSTREAM=openai`): `{OPENAI_BASE_URL}/chat/completions`, the key
 *   as `Authorization: Bearer` (none when OPENAI_API_KEY is empty, for a local server), OPENAI_MODEL
 *   as `model`.
 *
 * Every request goes through the upstream fetch (src/upstream/safe-fetch.ts): a redirect is refused,
 * never followed with our key. The SDK's own retries are off (src/chat/upstream.ts retries).
 */
import { AzureOpenAI, OpenAI } from "openai";
import type { Config } from "../config";
import { safeFetch } from "./safe-fetch";

export function azureAdapter(azure: Config["azure"], timeoutMs: number): OpenAI {
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
      return new AzureOpenAI({ ...common, endpoint: azure.endpoint, apiVersion: azure.apiVersion, deployment: azure.deployment });
    case "v1":
      // {endpoint}/openai/v1/chat/completions; the deployment is the body's `model`.
      return new OpenAI({ ...common, baseURL: `${endpoint}/openai/v1`, defaultHeaders: keyHeader });
    case "ai-gateway":
      // {gateway}/azure-openai/{resource}/{deployment}/chat/completions?api-version=…
      return new OpenAI({
        ...common,
        baseURL: `${endpoint}/${encodeURIComponent(azure.deployment)}`,
        defaultQuery: { "api-version": azure.apiVersion },
        defaultHeaders: keyHeader,
      });
  }
}

export function openaiAdapter(openai: Config["openai"], timeoutMs: number): OpenAI {
  return new OpenAI({
    // The SDK needs a key to build its client; with none configured no Authorization header is sent.
    apiKey: openai.apiKey || "none",
    baseURL: openai.baseUrl,
    maxRetries: 0,
    timeout: timeoutMs,
    ...(openai.apiKey ? {} : { defaultHeaders: { Authorization: null } }),
    // No OpenAI-Organization / OpenAI-Project headers from the environment: only what is configured here.
    organization: null,
    project: null,
    fetch: safeFetch({ upstream: "The OpenAI-compatible upstream", setting: "OPENAI_BASE_URL" }),
  });
}
