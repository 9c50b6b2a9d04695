/**
 * The fields a run's outcome adds to a log line, in one place for the request's line (a plain
 * chat, src/log/request-log.ts) and a resumable run's own (src/resume/chat-room.ts): level, code,
 * outcome, rounds, tool calls (names, ok or not), usage, and our own error message or an
 * unexpected error's stack. Never message text.
 */
import type { RunResult } from "../chat/run-result";

export function levelOf(code: number): "error" | "warn" | "info" {
  return code >= 500 ? "error" : code >= 400 ? "warn" : "info";
}

export function runLogFields(result: RunResult) {
  const { summary, envelope } = result;
  return {
    level: levelOf(envelope.code),
    code: envelope.code,
    outcome: result.outcome,
    rounds: summary.rounds,
    ...(summary.toolsListed !== undefined ? { tools_listed: summary.toolsListed } : {}),
    ...(summary.tools.length ? { tools: summary.tools } : {}),
    ...(envelope.data.usage ? { usage: envelope.data.usage } : {}),
    ...(result.internalError ? { error: result.internalError.slice(0, 2000) } : envelope.code >= 400 ? { error: envelope.message.slice(0, 500) } : {}),
  };
}
