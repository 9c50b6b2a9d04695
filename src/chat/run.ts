/**
 * One chat, from validated request to final envelope: the System and InputParser steps, the MCP
 * tool list, then model rounds (each an AzureOpenAI step) with the tool calls they ask for (each
 * an MCP step) until the model answers or the round limit is reached. Everything that happens is
 * emitted as it happens; the result is the `done` envelope or the error envelope, never a throw
 * (except when the client went away and nobody is listening).
 */
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { AzureOpenAI } from "openai";
import type { Config } from "../config";
import { ApiError, envelope } from "../errors";
import type { ToolSource, ToolSpec } from "../mcp/types";
import type { ChatEvent, Envelope, Usage } from "../schema/events";
import type { ChatRequest } from "../schema/request";
import { textsFor, type Lang } from "../steps/i18n";
import { StepRecorder, type StepHandle } from "../steps/recorder";
import { toAzureMessages } from "./messages";
import { readRound, RoundError } from "./round";
import { runToolCalls } from "./tool-calls";
import { openCompletionStream } from "./upstream";
import { upstreamError } from "./upstream-errors";

export interface RunInput {
  config: Config;
  client: AzureOpenAI;
  request: ChatRequest;
  imageCount: number;
  lang: Lang;
  requestId: string;
  signal: AbortSignal;
  tools?: ToolSource;
  emit(event: ChatEvent): void;
  /** Called once, when Azure has accepted the first round: the response may start streaming. */
  onStreamStart(): void;
}

export interface RunResult {
  ok: boolean;
  envelope: Envelope;
  /** Headers that belong to the error (e.g. `Retry-After`). */
  headers: Record<string, string>;
  /** The stack of an unexpected error (a bug of ours, reported to the client as a 500), for the log. */
  internalError?: string;
}

export async function runChat(input: RunInput): Promise<RunResult> {
  const { config, request, lang, requestId, emit } = input;
  const t = textsFor(lang);
  const steps = new StepRecorder((step) => emit({ type: "step", requestId, step }));
  let answer = "";
  let usage: Usage | undefined;
  let modelStep: StepHandle | undefined;

  const model = t.model(config.azure.deployment, config.azure.demo);
  const system = steps.start("System", t.systemStart(request.user_id), { user_id: request.user_id });
  try {
    steps
      .start("InputParser", t.inputParser(request.query.length, input.imageCount), {
        query_items: request.query.length,
        images: input.imageCount,
      })
      .success(JSON.stringify({ query_items: request.query.length, images: input.imageCount, roles: request.query.map((m) => m.role) }));

    const tools = input.tools ? await listTools(input.tools, steps, t, input.signal) : [];
    const messages: ChatCompletionMessageParam[] = toAzureMessages(request.query);
    let started = false;
    let rounds = 0;

    for (let round = 1; ; round++) {
      rounds = round;
      const lastRound = round >= config.maxToolRounds;
      modelStep = steps.start(
        "AzureOpenAI",
        t.modelStart(model, round),
        { deployment: config.azure.deployment, demo: config.azure.demo || undefined, round, messages: messages.length, tools: tools.length },
      );
      const response = await openCompletionStream(
        input.client,
        {
          model: config.azure.deployment,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(tools.length ? { tools: tools.map(toFunction), tool_choice: lastRound ? "none" : "auto" } : {}),
        },
        {
          signal: input.signal,
          timeoutMs: config.upstreamTimeoutMs,
          maxRetries: config.upstreamMaxRetries,
          retryMaxWaitMs: config.upstreamRetryMaxWaitMs,
        },
      );
      if (!started) {
        started = true;
        input.onStreamStart();
      }
      const messageId = modelStep.id;
      let result;
      try {
        result = await readRound(response.body!, (text) => {
          answer += text;
          emit({ type: "delta", requestId, message_id: messageId, text });
        }, { idleTimeoutMs: config.upstreamTimeoutMs, signal: input.signal });
      } catch (err) {
        if (err instanceof RoundError) usage = addUsage(usage, err.usage);
        throw err;
      }
      usage = addUsage(usage, result.usage);
      const calls = input.tools && !lastRound ? result.toolCalls : [];
      modelStep.success(
        JSON.stringify({ finish_reason: result.finishReason, usage: result.usage ?? null, tool_calls: calls.map((c) => c.function.name) }),
        calls.length ? t.modelToolCalls(model, round, calls.length) : t.modelDone(model, round),
      );
      if (!calls.length) break;
      messages.push({ role: "assistant", content: result.text || null, tool_calls: calls });
      messages.push(...(await runToolCalls(input.tools!, calls, tools, steps, t, input.signal)));
    }

    system.success(JSON.stringify({ rounds, answer_chars: answer.length, usage: usage ?? null }), t.systemDone);
    return {
      ok: true,
      headers: {},
      envelope: envelope(200, t.success, requestId, { steps: steps.snapshot(), answer, usage }),
    };
  } catch (err) {
    if (input.signal.aborted) throw input.signal.reason ?? err;
    const { error, internalError } = classify(err, config.upstreamTimeoutMs);
    if (modelStep && !modelStep.finished) modelStep.error(error.message);
    system.error(error.message, t.systemError(error.message));
    return {
      ok: false,
      headers: error.headers,
      ...(internalError ? { internalError } : {}),
      envelope: envelope(error.status, error.message, requestId, {
        steps: steps.snapshot(),
        ...(answer ? { answer } : {}),
        ...(usage ? { usage } : {}),
      }),
    };
  }
}

async function listTools(source: ToolSource, steps: StepRecorder, t: ReturnType<typeof textsFor>, signal: AbortSignal): Promise<ToolSpec[]> {
  const step = steps.start("MCP", t.listTools, { action: "tools/list" });
  try {
    const tools = await source.listTools(signal);
    step.success(tools.map((tool) => tool.name).join(", ") || "(none)", t.listToolsDone(tools.length));
    return tools;
  } catch (err) {
    if (signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    step.error(message, t.listToolsError(message));
    return [];
  }
}

function toFunction(tool: ToolSpec): ChatCompletionTool {
  return {
    type: "function",
    function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.parameters },
  };
}

function addUsage(total: Usage | undefined, more: Usage | undefined): Usage | undefined {
  if (!more) return total;
  if (!total) return { ...more };
  return {
    prompt_tokens: total.prompt_tokens + more.prompt_tokens,
    completion_tokens: total.completion_tokens + more.completion_tokens,
    total_tokens: total.total_tokens + more.total_tokens,
  };
}

function classify(err: unknown, timeoutMs: number): { error: ApiError; internalError?: string } {
  if (err instanceof RoundError) return { error: err.error };
  if (err instanceof ApiError) return { error: err };
  const mapped = upstreamError(err, timeoutMs);
  if (mapped.status === 502 && !(err instanceof Error && err.name.startsWith("API"))) {
    // Not an upstream failure the SDK knows: a bug of ours. The request's log line gets the stack.
    return { error: new ApiError(500, "Internal error"), internalError: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  return { error: mapped };
}
