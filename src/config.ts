/**
 * Worker variables and secrets (the settings table of docs/settings.md) read once per env object into a
 * typed config with safe defaults; each request of the Worker reads it as `c.var.config`
 * (useConfig, the app's first middleware but the request id).
 */
import type { MiddlewareHandler } from "hono";
import { DEFAULT_LIMITS } from "./schema/limits";
import { readMcpServers, type McpServerConfig } from "./mcp/servers-config";
import { Redactor } from "./security/redact";
import { readAssistant, type AssistantConfig } from "./chat/model-params";
import { AZURE_LABEL, OPENAI_LABEL, type UpstreamLabel } from "./upstream/label";

export interface Config {
  azure: {
    /** Empty when not configured: /api/chat answers 503. */
    endpoint: string;
    apiKey: string;
    /** A dated version (`2024-10-21`), or `v1` for Azure's v1 API. */
    apiVersion: string;
    deployment: string;
    /**
     * How the endpoint is spoken to (src/chat/upstream.ts):
     * - `deployments`: `{endpoint}openai/deployments/{deployment}/chat/completions?api-version=…`;
     * - `v1` (`AZURE_OPENAI_API_VERSION=v1`): Azure's v1 API, `{endpoint}openai/v1/chat/completions`,
     *   the deployment as `model`, no api-version;
     * - `ai-gateway` (an endpoint whose path ends in `/azure-openai/{resource}`): a Cloudflare AI
     *   Gateway for Azure, `{endpoint}/{deployment}/chat/completions?api-version=…`.
     */
    api: AzureApi;
    /** A setting that cannot work, said in a `503` before anything goes upstream. */
    problem?: string;
    /** True when the endpoint is the local demo upstream that `npm start` runs. */
    demo: boolean;
    /** `UPSTREAM_ROUND_TIMEOUT_MS`: bound on one model round, from its request to its stream's end. */
    roundTimeoutMs: number;
  };
  /** `UPSTREAM=openai`: any OpenAI-compatible chat-completions endpoint (src/upstream/adapters.ts). */
  openai: {
    /** `OPENAI_BASE_URL` without its trailing slash; requests go to `{baseUrl}/chat/completions`. */
    baseUrl: string;
    /** `OPENAI_API_KEY`, sent as `Authorization: Bearer`; empty = no Authorization header (a local server). */
    apiKey: string;
    /** `OPENAI_MODEL`, sent as `model`. */
    model: string;
    roundTimeoutMs: number;
  };
  /** Which upstream chats go to (`UPSTREAM`), as the rest of the service sees it. */
  upstream: UpstreamConfig;
  /** The operator's instructions and model parameters (src/chat/model-params.ts). */
  assistant: AssistantConfig;
  upstreamTimeoutMs: number;
  /** Retries of an upstream 429 / 5xx before the first byte. */
  upstreamMaxRetries: number;
  /** Longest total wait spent on those retries. */
  upstreamRetryMaxWaitMs: number;
  /** Model rounds in one chat, tool rounds included. */
  maxToolRounds: number;
  mcp: {
    url: string;
    authToken: string;
    allowlist: string[] | undefined;
    callTimeoutMs: number;
    listCacheTtlMs: number;
    maxResultChars: number;
    /** Every MCP server (`MCP_SERVERS`, or the `MCP_SERVER_URL` shorthand); empty = no tools. */
    servers: McpServerConfig[];
    /** What is wrong with `MCP_SERVERS`, if anything: chats answer 503 with it. */
    serversError?: string;
    /** How long a tool call waits for its approval before it counts as denied (`APPROVAL_TIMEOUT_MS`). */
    approvalTimeoutMs: number;
  };
  /** Who may call /api/chat (src/security/auth.ts). */
  auth: {
    /** `API_KEYS`, comma-separated; empty = no keys (fail closed unless anonymous). */
    apiKeys: string[];
    /** `ALLOW_ANONYMOUS=true`: requests without a key are served (local development only). */
    allowAnonymous: boolean;
  };
  /** `CORS_ORIGINS`: allowed browser origins, `"*"` for any; empty = no cross-origin access. */
  corsOrigins: string[] | "*";
  /** Request size limits (src/security/limits.ts, src/security/body-limit.ts). */
  limits: {
    maxBodyBytes: number;
    maxTextChars: number;
    maxQueryItems: number;
  };
  /** An answer (all rounds) longer than this ends with a 502 (`MAX_ANSWER_CHARS`). */
  maxAnswerChars: number;
  /** Streams (src/stream): keep-alive period, disconnect probe period, how far a client may fall behind. */
  stream: { heartbeatMs: number; probeMs: number; maxBufferedBytes: number };
  /** How long a resumable chat's events stay readable after its run ended (`RESUME_TTL_S`). */
  resumeTtlS: number;
  /** Conversations kept by the service (`history: "server"`, src/conversations). */
  history: {
    /** Stored text the model is sent at most (`HISTORY_MAX_CHARS`); older turns are left out of its input. */
    maxChars: number;
    /** An untouched conversation is deleted after this long (`HISTORY_TTL_DAYS`, in ms here). */
    ttlMs: number;
  };
  /** `Retry-After` (seconds) of a 429 from our own rate limits: the period of the `[[ratelimits]]` bindings. */
  rateLimitRetryAfterS: number;
  /**
   * Replaces every configured secret (AZURE_OPENAI_API_KEY, OPENAI_API_KEY, MCP_AUTH_TOKEN, each of
   * API_KEYS) and SYSTEM_PROMPT in upstream text with `[redacted]` (src/security/redact.ts): the
   * upstream's error messages, tool results and MCP errors. Built once per config.
   */
  redact: Redactor;
}

export type AzureApi = "deployments" | "v1" | "ai-gateway";

export interface UpstreamConfig {
  kind: "azure" | "openai";
  /** How messages name it and its settings. */
  label: UpstreamLabel;
  /** The model step's `tool_type`. */
  stepType: "AzureOpenAI" | "OpenAI";
  /** What is sent as `model` and named in the model steps: the Azure deployment, or OPENAI_MODEL. */
  model: string;
  /** True when it is the local demo upstream that `npm start` runs. */
  demo: boolean;
  /** What is missing or wrong, said in a 503 before anything goes upstream. */
  problem?: string;
}

const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/** A Cloudflare AI Gateway endpoint for Azure: `https://gateway.ai.cloudflare.com/v1/{account}/{gateway}/azure-openai/{resource}`. */
const AI_GATEWAY_PATH = /\/azure-openai\/[^/?#]+\/*$/;

/** Which way an endpoint and version are spoken to, and why they cannot be (docs/settings.md, "Upstream options"). */
export function azureApi(endpoint: string, apiVersion: string): { api: AzureApi; problem?: string } {
  const v1 = apiVersion.toLowerCase() === "v1";
  if (AI_GATEWAY_PATH.test(endpoint)) {
    if (v1) return { api: "ai-gateway", problem: "AZURE_OPENAI_API_VERSION=v1 is not available through a Cloudflare AI Gateway endpoint (AZURE_OPENAI_ENDPOINT): set a dated version such as 2024-10-21" };
    return { api: "ai-gateway" };
  }
  return { api: v1 ? "v1" : "deployments" };
}

declare module "hono" {
  interface ContextVariableMap {
    /** The Worker's config (readConfig of the request's env), set by useConfig. */
    config: Config;
  }
}

const cache = new WeakMap<object, Config>();

/** Reads the config once per request into `c.var.config`, for every middleware and route after it. */
export const useConfig: MiddlewareHandler<{ Bindings: Env }> = (c, next) => {
  c.set("config", readConfig(c.env));
  return next();
};

export function readConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    config = parse(env);
    cache.set(env, config);
  }
  return config;
}

function parse(env: Env): Config {
  const apiKeys = list(env.API_KEYS) ?? [];
  const servers = mcpServers(env);
  const assistant = readAssistant(env);
  // Every configured secret, the tokens MCP_SERVERS names included, and the operator's instructions
  // (an upstream that repeats them in an error message does not show them to the client).
  const redact = new Redactor([
    env.AZURE_OPENAI_API_KEY, env.OPENAI_API_KEY, env.MCP_AUTH_TOKEN, ...apiKeys, ...servers.servers.map((s) => s.authToken), assistant.systemPrompt,
  ]);
  const endpoint = (env.AZURE_OPENAI_ENDPOINT ?? "").trim();
  const apiVersion = (env.AZURE_OPENAI_API_VERSION ?? "").trim() || "2024-10-21";
  const roundTimeoutMs = int(env.UPSTREAM_ROUND_TIMEOUT_MS, 300_000, 1, 3_600_000);
  const azure: Config["azure"] = {
    endpoint,
    apiKey: (env.AZURE_OPENAI_API_KEY ?? "").trim(),
    apiVersion,
    deployment: (env.AZURE_OPENAI_DEPLOYMENT_NAME ?? "").trim() || "gpt-4.1",
    ...azureApi(endpoint, apiVersion),
    demo: env.DEMO_UPSTREAM === "true",
    roundTimeoutMs,
  };
  const openai: Config["openai"] = {
    baseUrl: ((env.OPENAI_BASE_URL ?? "").trim() || OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, ""),
    apiKey: (env.OPENAI_API_KEY ?? "").trim(),
    model: (env.OPENAI_MODEL ?? "").trim(),
    roundTimeoutMs,
  };
  return {
    azure,
    openai,
    upstream: chooseUpstream(env, azure, openai),
    assistant,
    upstreamTimeoutMs: int(env.UPSTREAM_TIMEOUT_MS, 30_000, 1, 600_000),
    upstreamMaxRetries: int(env.UPSTREAM_MAX_RETRIES, 2, 0, 2),
    upstreamRetryMaxWaitMs: int(env.UPSTREAM_RETRY_MAX_WAIT_MS, 10_000, 0, 60_000),
    maxToolRounds: int(env.MAX_TOOL_ROUNDS, 5, 1, 20),
    mcp: {
      url: (env.MCP_SERVER_URL ?? "").trim(),
      authToken: (env.MCP_AUTH_TOKEN ?? "").trim(),
      allowlist: list(env.MCP_TOOL_ALLOWLIST),
      callTimeoutMs: int(env.MCP_TOOL_TIMEOUT_MS, 15_000, 1, 120_000),
      listCacheTtlMs: int(env.MCP_TOOLS_CACHE_TTL_MS, 60_000, 0, 3_600_000),
      maxResultChars: int(env.MCP_RESULT_MAX_CHARS, 4_000, 100, 100_000),
      ...servers,
      approvalTimeoutMs: int(env.APPROVAL_TIMEOUT_MS, 300_000, 1, 3_600_000),
    },
    auth: {
      apiKeys,
      allowAnonymous: (env.ALLOW_ANONYMOUS ?? "").trim().toLowerCase() === "true",
    },
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    limits: {
      maxBodyBytes: int(env.MAX_BODY_BYTES, DEFAULT_LIMITS.maxBodyBytes, 1024, 512 * 1024 * 1024),
      maxTextChars: int(env.MAX_TEXT_CHARS, DEFAULT_LIMITS.maxTextChars, 1, 10_000_000),
      maxQueryItems: int(env.MAX_QUERY_ITEMS, DEFAULT_LIMITS.maxQueryItems, 1, 10_000),
    },
    maxAnswerChars: int(env.MAX_ANSWER_CHARS, 1_000_000, 1, 50_000_000),
    stream: {
      heartbeatMs: int(env.HEARTBEAT_MS, 15_000, 0, 600_000),
      probeMs: int(env.DISCONNECT_PROBE_MS, 250, 0, 60_000),
      maxBufferedBytes: int(env.STREAM_BUFFER_BYTES, 1024 * 1024, 1024, 64 * 1024 * 1024),
    },
    resumeTtlS: int(env.RESUME_TTL_S, 600, 1, 7 * 24 * 3600),
    history: {
      maxChars: int(env.HISTORY_MAX_CHARS, 400_000, 1, 100_000_000),
      ttlMs: days(env.HISTORY_TTL_DAYS, 30),
    },
    rateLimitRetryAfterS: int(env.RATE_LIMIT_RETRY_AFTER_S, 60, 1, 3600),
    redact,
  };
}

/** `UPSTREAM`: Azure OpenAI (default) or an OpenAI-compatible endpoint, and what keeps it from working. */
function chooseUpstream(env: Env, azure: Config["azure"], openai: Config["openai"]): UpstreamConfig {
  const kind = (env.UPSTREAM ?? "").trim().toLowerCase() || "azure";
  if (kind === "openai") {
    let problem: string | undefined;
    if (!/^https?:\/\/[^/?#\s]+/i.test(openai.baseUrl)) {
      problem = "The OpenAI-compatible upstream is misconfigured: OPENAI_BASE_URL must be an http(s) URL such as https://api.openai.com/v1";
    } else if (!openai.model) {
      problem = "The OpenAI-compatible upstream is not configured: set OPENAI_MODEL (the model to ask for, e.g. gpt-4.1-mini)";
    } else if (!openai.apiKey && openai.baseUrl === OPENAI_DEFAULT_BASE_URL) {
      problem = "The OpenAI-compatible upstream is not configured: set the secret OPENAI_API_KEY (or OPENAI_BASE_URL for another endpoint)";
    }
    return { kind: "openai", label: OPENAI_LABEL, stepType: "OpenAI", model: openai.model, demo: false, ...(problem ? { problem } : {}) };
  }
  let problem: string | undefined;
  if (kind !== "azure") problem = `UPSTREAM must be azure or openai, not ${JSON.stringify(kind.slice(0, 40))}`;
  else if (!azure.endpoint) {
    problem = "Azure OpenAI is not configured: set AZURE_OPENAI_ENDPOINT (and the secret AZURE_OPENAI_API_KEY), or run `npm start`, which starts a local demo upstream";
  } else if (!azure.apiKey) problem = "Azure OpenAI is not configured: set the secret AZURE_OPENAI_API_KEY";
  else if (azure.problem) problem = `Azure OpenAI is misconfigured: ${azure.problem}`;
  return { kind: "azure", label: AZURE_LABEL, stepType: "AzureOpenAI", model: azure.deployment, demo: azure.demo, ...(problem ? { problem } : {}) };
}

function corsOrigins(raw: string | undefined): string[] | "*" {
  const origins = list(raw) ?? [];
  return origins.includes("*") ? "*" : origins.map((origin) => origin.replace(/\/+$/, ""));
}

/** An integer setting; a missing or unreadable value takes the default, a value out of range is clamped. */
export function int(raw: string | undefined, fallback: number, min: number, max: number): number {
  const value = Number.parseInt((raw ?? "").trim(), 10);
  if (!Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}

/** A number of days (fractions allowed, e.g. 0.5), as milliseconds; at most ten years. */
function days(raw: string | undefined, fallback: number): number {
  const value = Number((raw ?? "").trim() || Number.NaN);
  const d = Number.isFinite(value) && value > 0 ? Math.min(value, 3650) : fallback;
  return Math.round(d * 24 * 3600 * 1000);
}

/** A comma-separated list; empty means "not set". */
export function list(raw: string | undefined): string[] | undefined {
  const items = (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

function mcpServers(env: Env): { servers: McpServerConfig[]; serversError?: string } {
  const { servers, error } = readMcpServers(env as unknown as Record<string, unknown>, {
    url: (env.MCP_SERVER_URL ?? "").trim(),
    authToken: (env.MCP_AUTH_TOKEN ?? "").trim(),
    allowlist: list(env.MCP_TOOL_ALLOWLIST),
  });
  return error ? { servers, serversError: error } : { servers };
}
