/**
 * The stack `npm start` runs, also used by the end-to-end tests of the page and the CLI: the Worker
 * under wrangler's dev server (tools/run/worker.ts; without the DevTools inspector unless
 * `inspector: true`) with what is configured, and clearly labelled local defaults for what is not:
 *   - no AZURE_OPENAI_ENDPOINT (and not UPSTREAM=openai) → the local demo upstream (Azure's wire
 *     format, deterministic answers labelled as demo, never GPT-4.1); with UPSTREAM=openai the
 *     configured OpenAI-compatible endpoint (OPENAI_BASE_URL, OPENAI_MODEL) is used as is;
 *   - no MCP_SERVER_URL (nor MCP_SERVERS) → the ModelScope mock MCP server (with `mockApproval`,
 *     as the one server of MCP_SERVERS, those of its tools waiting for approval);
 *   - no API_KEYS (and no ALLOW_ANONYMOUS) → ALLOW_ANONYMOUS=true (local development only).
 * A value that is still a placeholder of .dev.vars.example (`https://YOUR-RESOURCE…`) counts as
 * not configured.
 */
import { startDemoUpstream } from "../fakes/demo-upstream";
import { startMockMcpServer } from "../fakes/mock-mcp-server";
import { startWorker, type RunningWorker, type WorkerOptions } from "./worker";

export interface LocalStackOptions extends Omit<WorkerOptions, "vars"> {
  /** What the developer configured (.dev.vars, the environment): passed to the Worker as is. */
  configured?: Record<string, string>;
  /** ms between the demo upstream's streamed pieces (default 15). */
  delayMs?: number;
  /** Tools of the mock MCP server (when it runs) that wait for a person's approval. */
  mockApproval?: string[];
}

export interface LocalStack {
  /** The Worker, e.g. http://127.0.0.1:PORT */
  url: string;
  /** What runs on local defaults, one line each (npm start prints them). */
  notes: string[];
  worker: RunningWorker;
  output(): string;
  stop(): Promise<void>;
}

/** A value left as an example's placeholder, e.g. `https://YOUR-RESOURCE.openai.azure.com/`. */
export function isPlaceholder(value: string): boolean {
  return /YOUR[-_][A-Z]/.test(value);
}

/** Set to something real: not empty, not a placeholder. */
export function isConfigured(configured: Record<string, string>, name: string): boolean {
  const value = (configured[name] ?? "").trim();
  return value !== "" && !isPlaceholder(value);
}

/** Which local defaults a configuration needs. */
export function localDefaults(configured: Record<string, string>): { demoUpstream: boolean; mockMcp: boolean; anonymous: boolean } {
  return {
    demoUpstream: !openaiUpstream(configured) && !isConfigured(configured, "AZURE_OPENAI_ENDPOINT"),
    mockMcp: !isConfigured(configured, "MCP_SERVER_URL") && !isConfigured(configured, "MCP_SERVERS"),
    anonymous: !isConfigured(configured, "API_KEYS") && !isConfigured(configured, "ALLOW_ANONYMOUS"),
  };
}

/** `UPSTREAM=openai`: an OpenAI-compatible endpoint, not Azure. */
export function openaiUpstream(configured: Record<string, string>): boolean {
  return (configured.UPSTREAM ?? "").trim().toLowerCase() === "openai";
}

/** What the banner says of the keys in force (how many, never which). */
export function keysNote(configured: Record<string, string>): string {
  const count = (configured.API_KEYS ?? "").split(",").filter((key) => key.trim() !== "" && !isPlaceholder(key)).length;
  const anonymous = (configured.ALLOW_ANONYMOUS ?? "").trim().toLowerCase() === "true";
  if (!count) return anonymous ? "No API_KEYS set, ALLOW_ANONYMOUS=true: serving without keys. Clients send no key." : "No API_KEYS set and ALLOW_ANONYMOUS is not true: chats answer 503.";
  const keys = `API_KEYS: ${count} key${count === 1 ? "" : "s"} in force: clients send Authorization: Bearer KEY`;
  return anonymous ? `${keys}, or no key at all (ALLOW_ANONYMOUS=true).` : `${keys}; a request without one is a 401.`;
}

/** What the banner says of CORS_ORIGINS: which other origins' pages may call the API. */
export function corsNote(configured: Record<string, string>): string {
  const origins = (configured.CORS_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  if (origins.includes("*")) return "CORS_ORIGINS=*: pages of any origin may call the API.";
  if (!origins.length) return "CORS_ORIGINS empty: only this server's own pages may call the API from a browser.";
  return `CORS_ORIGINS: pages of ${origins.join(", ")} may call the API.`;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const { configured = {}, delayMs, mockApproval, ...workerOptions } = options;
  const defaults = localDefaults(configured);
  const vars: Record<string, string> = { ...configured };
  const notes: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  const closeAll = () => Promise.all(closers.map((close) => close())).then(() => undefined);
  try {
    if (defaults.demoUpstream) {
      const demo = await startDemoUpstream({ port: 0, host: "127.0.0.1", delayMs });
      closers.push(demo.close);
      Object.assign(vars, { AZURE_OPENAI_ENDPOINT: demo.url, AZURE_OPENAI_API_KEY: "local-demo-key", DEMO_UPSTREAM: "true" });
      const placeholder = isPlaceholder(configured.AZURE_OPENAI_ENDPOINT ?? "") ? " (AZURE_OPENAI_ENDPOINT is still the example's placeholder)" : "";
      notes.push(`DEMO upstream at ${demo.url}${placeholder}: answers are canned from what it receives, NOT GPT-4.1. Fill in .dev.vars (see .dev.vars.example) for real Azure OpenAI.`);
    } else if (openaiUpstream(configured)) {
      const base = (configured.OPENAI_BASE_URL ?? "").trim() || "https://api.openai.com/v1";
      notes.push(`OpenAI-compatible upstream (UPSTREAM=openai): ${base}/chat/completions, model ${(configured.OPENAI_MODEL ?? "").trim() || "(OPENAI_MODEL is not set)"}.`);
    } else {
      notes.push("Azure OpenAI: using AZURE_OPENAI_ENDPOINT from your configuration.");
    }
    if (defaults.mockMcp) {
      const mcp = await startMockMcpServer({ port: 0, host: "127.0.0.1" });
      closers.push(mcp.close);
      if (mockApproval?.length) {
        vars.MCP_SERVERS = JSON.stringify([{ label: "modelscope", url: mcp.url, approval: mockApproval }]);
        notes.push(`MOCK ModelScope MCP server at ${mcp.url} (fixture data, not the real ModelScope); calls of ${mockApproval.join(", ")} wait for approval.`);
      } else {
        vars.MCP_SERVER_URL = mcp.url;
        notes.push(`MOCK ModelScope MCP server at ${mcp.url} (fixture data, not the real ModelScope).`);
      }
    }
    if (defaults.anonymous) {
      vars.ALLOW_ANONYMOUS = "true";
      notes.push("No API_KEYS set: serving without keys (ALLOW_ANONYMOUS=true), for local development only. Clients send no key.");
    } else notes.push(keysNote(configured));
    notes.push(corsNote(configured));
    // wrangler's dev server bundles and boots workerd first: seconds alone, a minute or more on a
    // busy machine, which is no reason to give up on it.
    const worker = await startWorker({ inspector: false, timeoutMs: 180_000, ...workerOptions, vars });
    return {
      url: worker.url,
      notes,
      worker,
      output: worker.output,
      async stop() {
        await worker.stop();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
