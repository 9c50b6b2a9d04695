/**
 * One model round: streams a completion's chunks, passes each piece of answer text on at once,
 * and gathers what the round ends with (text, tool calls, finish reason, usage). A stream that
 * ends without a finish reason is broken (502); Azure's content filter on the answer is a 400
 * that keeps the text streamed before the cut.
 */
import type { ChatCompletionChunk, ChatCompletionMessageFunctionToolCall } from "openai/resources/chat/completions";
import { ApiError } from "../errors";
import type { Usage } from "../schema/events";
import { AZURE_LABEL } from "../upstream/label";
import { pumpChunks, type ReadOptions } from "./chunks";

export interface RoundResult {
  text: string;
  toolCalls: ChatCompletionMessageFunctionToolCall[];
  finishReason: string;
  usage?: Usage;
}

/** Thrown when the round fails: the run reports the error with the usage the round had reached. */
export class RoundError extends Error {
  constructor(
    readonly error: ApiError,
    readonly usage: Usage | undefined,
  ) {
    super(error.message);
  }
}

export async function readRound(
  body: ReadableStream<Uint8Array>,
  onText: (text: string) => void,
  options: ReadOptions,
): Promise<RoundResult> {
  let text = "";
  let finishReason: string | null = null;
  let usage: Usage | undefined;
  let filtered: string[] = [];
  const calls: { id: string; name: string; arguments: string }[] = [];
  const { Name, name } = options.label ?? AZURE_LABEL;

  const take = (chunk: ChatCompletionChunk) => {
    if (chunk.usage && typeof chunk.usage === "object") {
      const { prompt_tokens, completion_tokens, total_tokens } = chunk.usage;
      if ([prompt_tokens, completion_tokens, total_tokens].every((n) => Number.isInteger(n) && n >= 0)) {
        usage = { prompt_tokens, completion_tokens, total_tokens };
      }
    }
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!choice) return; // Azure's prompt_filter_results chunk and the usage chunk have none.
    const delta = choice.delta;
    if (typeof delta?.content === "string" && delta.content) {
      text += delta.content;
      onText(delta.content);
    }
    if (Array.isArray(delta?.tool_calls)) {
      for (const part of delta.tool_calls) {
        if (!Number.isInteger(part?.index) || part.index < 0 || part.index > 127) {
          throw new ApiError(502, `${Name} sent a tool call chunk without a valid index`);
        }
        const call = (calls[part.index] ??= { id: "", name: "", arguments: "" });
        if (part.id) call.id = part.id;
        if (part.function?.name) call.name += part.function.name;
        if (part.function?.arguments) call.arguments += part.function.arguments;
      }
    }
    if (choice.finish_reason) {
      finishReason = choice.finish_reason;
      if (finishReason === "content_filter") filtered = filteredCategories(choice);
    }
  };

  try {
    await pumpChunks(body, take, options);
  } catch (err) {
    if (err instanceof ApiError) throw new RoundError(err, usage);
    throw err;
  }

  if (finishReason === null) {
    throw new RoundError(new ApiError(502, `The stream of ${name} ended without a finish reason (broken stream)`, {}, { reason: "brokenStream" }), usage);
  }
  if (finishReason === "content_filter") {
    const which = filtered.length ? ` (${filtered.join(", ")})` : "";
    throw new RoundError(new ApiError(400, `The answer was filtered by ${name}'s content filter${which}; data.answer holds the text before the cut.`, {}, { reason: "answerFiltered" }), usage);
  }
  return {
    text,
    finishReason,
    usage,
    toolCalls: calls.filter(Boolean).map((c, i) => ({
      id: c.id || `call_${i}`,
      type: "function" as const,
      function: { name: c.name, arguments: c.arguments },
    })),
  };
}

function filteredCategories(choice: ChatCompletionChunk.Choice): string[] {
  const results = (choice as { content_filter_results?: Record<string, { filtered?: boolean }> }).content_filter_results ?? {};
  return Object.entries(results).filter(([, r]) => r?.filtered).map(([k]) => k);
}
