/**
 * One chat, from validated request to final envelope: the System and InputParser steps, the MCP
 * tool list, then model rounds (each an AzureOpenAI step, or an OpenAI step under `UPSTREAM=openai`)
 * with the tool calls they ask for (each an MCP step) until the model answers or the round limit is
 * reached. The model is sent the operator's instructions (SYSTEM_PROMPT) first, then the chat, with
 * the operator's model parameters and those the request may set. Everything that happens is
 * sent to the sink as it happens. The result is the `done` envelope or the error envelope, also
 * when the run is stopped (499); it rejects only on a bug of ours, which the caller reports.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { OpenAIError } from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { OpenAI } from "openai";
import type { Config } from "../config";
import type { HistoryWindow } from "../conversations/history";
import { ApiError, envelope, RunAborted, stackOf } from "../errors";
import { MAX_OFFERED_TOOLS } from "../mcp/tool-names";
import type { ToolSet, ToolSpec } from "../mcp/types";
import type { ApprovalGate } from "./approvals";
import type { Usage } from "../schema/events";
import type { ChatRequest } from "../schema/request";
import { reasonText, textsFor, type Lang, type Texts } from "../steps/i18n";
import { StepRecorder, type StepHandle } from "../steps/recorder";
import { toAzureMessages } from "./messages";
import { operatorMessages, roundParams } from "./model-params";
import type { RunResult, RunSink, RunSummary } from "./run-result";
import { readRound, RoundError } from "./round";
import { runToolCalls } from "./tool-calls";
import { openCompletionStream } from "./upstream";
import { upstreamError } from "./upstream-errors";

export interface RunInput {
  config: Config;
  client: OpenAI;
  request: ChatRequest;
  imageCount: number;
  lang: Lang;
  requestId: string;
  tools?: ToolSet;
  /** Present for resumable chats: tool calls that need approval wait on it. Without it such tools are not offered. */
  approvals?: ApprovalGate;
  sink: RunSink;
  /** What the model is sent, when it is more than the query says; default: the query's messages. */
  messages?: ChatCompletionMessageParam[];
  /** A conversation kept by the service: what the model is sent before them. */
  history?: () => Promise<HistoryWindow>;
}

export async function runChat(input: RunInput): Promise<RunResult> {
  const { config, request, lang, requestId, sink } = input;
  const { signal } = sink;
  const t = textsFor(lang);
  const steps = new StepRecorder((step) => sink.emit({ type: "step", requestId, step }));
  const summary: RunSummary = { rounds: 0, tools: [] };
  let answer = "";
  let usage: Usage | undefined;
  let modelStep: StepHandle | undefined;
  /** Where this run's tool calls and results start in the model's messages. */
  let transcriptFrom = -1;
  let messagesRef: ChatCompletionMessageParam[] = [];
  const transcript = () => (transcriptFrom >= 0 ? messagesRef.slice(transcriptFrom) : []);

  const upstream = config.upstream;
  const model = upstream.kind === "openai" ? t.openaiModel(upstream.model) : t.model(upstream.model, upstream.demo);
  const system = steps.start("System", t.systemStart(request.user_id), { user_id: request.user_id });
  try {
    const parser = steps.start("InputParser", t.inputParser(request.query.length, input.imageCount), {
      query_items: request.query.length,
      images: input.imageCount,
    });
    // A conversation kept by the service: the stored part the model is sent, and what is left out of it.
    const history = input.history ? await input.history() : undefined;
    if (signal.aborted) throw signal.reason;
    parser.success(
      JSON.stringify({
        query_items: request.query.length,
        images: input.imageCount,
        roles: request.query.map((m) => m.role),
        ...(history ? { history_messages: history.sent, history_left_out: history.leftOut } : {}),
      }),
      history ? t.inputParser(request.query.length, input.imageCount) + t.historyUsed(history.sent, history.leftOut) : undefined,
    );

    const tools = input.tools ? await listTools(input.tools, steps, t, summary, signal, input.approvals !== undefined) : [];
    // The one place the model's input is put together: the operator's instructions always first.
    const operator = operatorMessages(config.assistant);
    const messages: ChatCompletionMessageParam[] = [...operator, ...(history?.messages ?? []), ...(input.messages ?? toAzureMessages(request.query))];
    transcriptFrom = messages.length;
    messagesRef = messages;
    const params = roundParams(config.assistant, request.options, tools.length > 0);
    const onText = (messageId: string) => (text: string) => {
      if (answer.length + text.length > config.maxAnswerChars) {
        throw new ApiError(502, `The answer grew longer than ${config.maxAnswerChars} characters (MAX_ANSWER_CHARS); it was cut off`, {}, { reason: "answerTooLong" });
      }
      answer += text;
      sink.emit({ type: "delta", requestId, message_id: messageId, text });
    };

    for (let round = 1; ; round++) {
      summary.rounds = round;
      const lastRound = round >= config.maxToolRounds;
      // `messages` counts the chat's messages, not the operator's instructions, which are never shown back.
      const counts = { round, messages: messages.length - operator.length, tools: tools.length };
      modelStep = steps.start(
        upstream.stepType,
        t.modelStart(model, round),
        upstream.kind === "openai" ? { model: upstream.model, ...counts } : { deployment: upstream.model, demo: upstream.demo || undefined, ...counts },
      );
      const response = await openCompletionStream(
        input.client,
        {
          ...params,
          model: upstream.model,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(tools.length ? { tools: tools.map(toFunction), tool_choice: lastRound ? "none" : "auto" } : {}),
        },
        {
          signal,
          timeoutMs: config.upstreamTimeoutMs,
          maxRetries: config.upstreamMaxRetries,
          retryMaxWaitMs: config.upstreamRetryMaxWaitMs,
        },
      );
      let result;
      try {
        result = await readRound(response.body!, onText(modelStep.id), {
          idleTimeoutMs: config.upstreamTimeoutMs,
          signal,
          ready: sink.ready,
          hold: sink.hold,
          release: sink.release,
          label: upstream.label,
        });
      } catch (err) {
        if (err instanceof RoundError) usage = addUsage(usage, err.usage);
        throw err;
      }
      usage = addUsage(usage, result.usage);
      // Calls the model makes although no tool was offered are refused one by one below (the model
      // is told), like any call to a tool it was not given: never a silent end.
      const calls = lastRound ? [] : result.toolCalls;
      modelStep.success(
        JSON.stringify({ finish_reason: result.finishReason, usage: result.usage ?? null, tool_calls: calls.map((c) => c.function.name) }),
        calls.length ? t.modelToolCalls(model, round, calls.length) : t.modelDone(model, round),
      );
      if (!calls.length) break;
      messages.push({ role: "assistant", content: result.text || null, tool_calls: calls });
      const replies = await runToolCalls(input.tools, calls, tools, steps, t, signal, {
        gate: input.approvals,
        timeoutMs: config.mcp.approvalTimeoutMs,
        announce: (request) => sink.emit({ type: "approval_request", requestId, ...request }),
      });
      for (const reply of replies) summary.tools.push(reply.outcome);
      messages.push(...replies.map((reply) => reply.message));
    }

    system.success(JSON.stringify({ rounds: summary.rounds, answer_chars: answer.length, usage: usage ?? null }), t.systemDone);
    return {
      ok: true,
      outcome: "done",
      headers: {},
      summary,
      transcript: transcript(),
      envelope: envelope(200, t.success, requestId, { steps: steps.snapshot(), answer, usage }),
    };
  } catch (err) {
    const aborted = signal.aborted ? (signal.reason instanceof RunAborted ? signal.reason : new RunAborted("client_closed")) : undefined;
    const { error, internalError } = aborted
      ? { error: new ApiError(499 as ContentfulStatusCode, aborted.message, {}, { reason: aborted.why === "stopped" ? "stopped" : "clientGone" }) }
      : classify(err, config);
    if (modelStep && !modelStep.finished) modelStep.error(error.message);
    system.error(error.message, t.systemError(reasonText(error, lang)));
    return {
      ok: false,
      outcome: aborted ? aborted.why : "error",
      headers: error.headers,
      summary,
      transcript: transcript(),
      ...(internalError ? { internalError } : {}),
      envelope: envelope(error.status, error.message, requestId, {
        steps: steps.snapshot(),
        ...(answer ? { answer } : {}),
        ...(usage ? { usage } : {}),
        ...(error.status === 429 && error.headers["Retry-After"] ? { retry_after_ms: Number(error.headers["Retry-After"]) * 1000 } : {}),
      }),
    };
  }
}

/** One MCP step per server, listed in parallel; tools that need approval are offered only when someone can give it. */
async function listTools(source: ToolSet, steps: StepRecorder, t: Texts, summary: RunSummary, signal: AbortSignal, canApprove: boolean): Promise<ToolSpec[]> {
  const several = source.servers.length > 1;
  const handles = source.servers.map((server) =>
    steps.start("MCP", several ? t.listServerTools(server) : t.listTools, { action: "tools/list", server }),
  );
  const listings = await source.listTools(signal);
  if (signal.aborted) throw signal.reason;
  const offered: ToolSpec[] = [];
  summary.toolsListed = listings.every((l) => !l.error);
  listings.forEach((listing, i) => {
    const step = handles[i];
    if (listing.error !== undefined) {
      step.error(listing.error, t.listToolsError(several ? listing.server : undefined, listing.error));
      return;
    }
    const held = canApprove ? [] : listing.tools.filter((tool) => tool.approval);
    const allowed = canApprove ? listing.tools : listing.tools.filter((tool) => !tool.approval);
    // Past the limit of one request, the rest stay out of it (and cannot be called).
    const tools = allowed.slice(0, Math.max(0, MAX_OFFERED_TOOLS - offered.length));
    const over = allowed.slice(tools.length);
    offered.push(...tools);
    let observation = tools.map((tool) => tool.name).join(", ") || "(none)";
    if (held.length) observation += `; not offered (they need approval, which needs a chat_id): ${held.map((tool) => tool.name).join(", ")}`;
    if (over.length) observation += `; not offered (over the limit of ${MAX_OFFERED_TOOLS} tools in one request): ${over.length} more`;
    step.success(
      observation,
      t.listToolsDone(tools.length) + (held.length ? t.toolsHeldForApproval(held.length) : "") + (over.length ? t.toolsOverLimit(over.length, MAX_OFFERED_TOOLS) : ""),
    );
  });
  return offered;
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

/** Our reported errors and the SDK's upstream failures keep their meaning; anything else is a bug of ours: a generic 500. */
function classify(err: unknown, config: Config): { error: ApiError; internalError?: string } {
  if (err instanceof RoundError) return { error: err.error };
  if (err instanceof ApiError) return { error: err };
  if (err instanceof OpenAIError) return { error: upstreamError(err, config.upstreamTimeoutMs, config.redact, config.upstream.label) };
  return { error: new ApiError(500, "Internal error", {}, { reason: "internal" }), internalError: stackOf(err) };
}
