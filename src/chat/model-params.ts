/**
 * The assistant's settings, the operator's and not the caller's (docs/assistant.md): the operator's instructions (`SYSTEM_PROMPT`), whether a client may add system
 * messages (`CLIENT_SYSTEM`), the model parameters sent with every round (`MODEL_PARAMS`) and which
 * of them a request's `options` may set (`CLIENT_OPTIONS`). Read with the config, so no zod here:
 * the request's `options` are validated by src/schema/request.ts, built from the same table.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { fieldError } from "../errors";

/** Every model parameter the service passes on, with the values the chat-completions API accepts. */
export const MODEL_PARAM_SPECS = {
  temperature: { type: "number", min: 0, max: 2 },
  top_p: { type: "number", min: 0, max: 1 },
  max_tokens: { type: "integer", min: 1, max: 10_000_000 },
  presence_penalty: { type: "number", min: -2, max: 2 },
  frequency_penalty: { type: "number", min: -2, max: 2 },
  seed: { type: "integer", min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  parallel_tool_calls: { type: "boolean" },
} as const satisfies Record<string, { type: "number" | "integer"; min: number; max: number } | { type: "boolean" }>;

export type ModelParamName = keyof typeof MODEL_PARAM_SPECS;
export const MODEL_PARAM_NAMES = Object.keys(MODEL_PARAM_SPECS) as ModelParamName[];

export interface ModelParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  parallel_tool_calls?: boolean;
}

export interface AssistantConfig {
  /** `SYSTEM_PROMPT`: the first message of every chat; empty = none. Never shown back. */
  systemPrompt: string;
  /** `CLIENT_SYSTEM`: whether a request's own `system` messages are sent (after the operator's) or refused. */
  clientSystem: "allow" | "deny";
  /** `MODEL_PARAMS`: sent with every round. */
  modelParams: ModelParams;
  /** `CLIENT_OPTIONS`: the parameters a request's `options` may set. */
  clientOptions: ModelParamName[];
  /** What is wrong with these settings, said in a 503 before anything goes upstream. */
  problem?: string;
}

const DEFAULT_CLIENT_OPTIONS: ModelParamName[] = ["temperature", "max_tokens"];

export function readAssistant(env: {
  SYSTEM_PROMPT?: string;
  CLIENT_SYSTEM?: string;
  MODEL_PARAMS?: string;
  CLIENT_OPTIONS?: string;
}): AssistantConfig {
  const problems: string[] = [];
  const clientSystem = (env.CLIENT_SYSTEM ?? "").trim().toLowerCase() || "allow";
  if (clientSystem !== "allow" && clientSystem !== "deny") problems.push(`CLIENT_SYSTEM must be allow or deny, not ${JSON.stringify(clientSystem.slice(0, 40))}`);

  let modelParams: ModelParams = {};
  const raw = (env.MODEL_PARAMS ?? "").trim();
  if (raw) {
    const { params, problem } = parseModelParams(raw);
    if (problem) problems.push(`MODEL_PARAMS ${problem}`);
    else modelParams = params;
  }

  let clientOptions = DEFAULT_CLIENT_OPTIONS;
  const options = (env.CLIENT_OPTIONS ?? "").trim();
  if (options) {
    const names = options.toLowerCase() === "none" ? [] : options.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = names.filter((name) => !(name in MODEL_PARAM_SPECS));
    if (unknown.length) problems.push(`CLIENT_OPTIONS names ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(", ")}: the options are ${MODEL_PARAM_NAMES.join(", ")} (or none)`);
    else clientOptions = names as ModelParamName[];
  }

  return {
    // Kept as written (no trim of its inside): it is the operator's text.
    systemPrompt: (env.SYSTEM_PROMPT ?? "").trim() ? env.SYSTEM_PROMPT! : "",
    clientSystem: clientSystem === "deny" ? "deny" : "allow",
    modelParams,
    clientOptions,
    ...(problems.length ? { problem: problems.join("; ") } : {}),
  };
}

/** `MODEL_PARAMS`: a JSON object of known parameters with valid values. The problem names the parameter. */
export function parseModelParams(raw: string): { params: ModelParams; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { params: {}, problem: "is not JSON: expected an object such as {\"temperature\":0.2,\"max_tokens\":1024}" };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return { params: {}, problem: "must be a JSON object such as {\"temperature\":0.2}" };
  const params: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    const spec = (MODEL_PARAM_SPECS as Record<string, (typeof MODEL_PARAM_SPECS)[ModelParamName]>)[name];
    if (!spec) return { params: {}, problem: `.${name.slice(0, 40)}: unknown parameter (known: ${MODEL_PARAM_NAMES.join(", ")})` };
    const bad = checkValue(spec, v);
    if (bad) return { params: {}, problem: `.${name}: ${bad}` };
    params[name] = v;
  }
  return { params: params as ModelParams };
}

function checkValue(spec: (typeof MODEL_PARAM_SPECS)[ModelParamName], value: unknown): string | undefined {
  if (spec.type === "boolean") return typeof value === "boolean" ? undefined : "must be true or false";
  if (typeof value !== "number" || !Number.isFinite(value)) return "must be a number";
  if (spec.type === "integer" && !Number.isInteger(value)) return "must be a whole number";
  if (value < spec.min || value > spec.max) return `must be between ${spec.min} and ${spec.max}`;
  return undefined;
}

/**
 * A request's `options` (already valid values, src/schema/request.ts) against `CLIENT_OPTIONS`: a
 * parameter the operator does not let clients set is a 400 naming it.
 */
export function checkClientOptions(options: ModelParams | undefined, assistant: AssistantConfig): void {
  if (!options) return;
  for (const name of Object.keys(options)) {
    if (!assistant.clientOptions.includes(name as ModelParamName)) {
      const allowed = assistant.clientOptions.length ? `only ${assistant.clientOptions.join(", ")} may be set` : "no option may be set";
      throw fieldError(400, ["options", name], `not allowed here (${allowed}: CLIENT_OPTIONS)`);
    }
  }
}

/**
 * The parameters of every round: the operator's, then the ones the request may set, a client's
 * `max_tokens` never above the operator's. `parallel_tool_calls` only goes with tools (OpenAI
 * refuses it without).
 */
export function roundParams(assistant: AssistantConfig, options: ModelParams | undefined, withTools: boolean): ModelParams {
  const params: ModelParams = { ...assistant.modelParams };
  for (const name of assistant.clientOptions) {
    const value = options?.[name];
    if (value === undefined) continue;
    (params as Record<string, unknown>)[name] = name === "max_tokens" && params.max_tokens !== undefined ? Math.min(params.max_tokens, value as number) : value;
  }
  if (!withTools) delete params.parallel_tool_calls;
  return params;
}

/** The operator's instructions as the first message of the chat; none when SYSTEM_PROMPT is empty. */
export function operatorMessages(assistant: AssistantConfig): ChatCompletionMessageParam[] {
  return assistant.systemPrompt ? [{ role: "system", content: assistant.systemPrompt }] : [];
}

/** `CLIENT_SYSTEM=deny`: a request's own system message is a 400 naming it. */
export function checkClientSystem(query: readonly { role: string }[], assistant: AssistantConfig): void {
  if (assistant.clientSystem !== "deny") return;
  const i = query.findIndex((message) => message.role === "system");
  if (i >= 0) throw fieldError(400, ["query", i, "role"], "system messages are not accepted; the assistant's instructions are set by the service (CLIENT_SYSTEM=deny)");
}
