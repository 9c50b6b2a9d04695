/**
 * Builds the run of one checked chat request: the upstream's client and the MCP tool source from the
 * config, then `runChat`. The same for a plain chat (in the Worker) and a resumable one (in its
 * Durable Object). The MCP session is closed in the background once the run is over.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Config } from "../config";
import type { HistoryWindow } from "../conversations/history";
import type { ChatRequest } from "../schema/request";
import type { Lang } from "../steps/i18n";
import { lazyMcpToolSource } from "../mcp/lazy";
import { combineToolSources } from "../mcp/tool-set";
import type { ToolSet } from "../mcp/types";
import type { ApprovalGate } from "./approvals";
import { runChat } from "./run";
import type { RunResult, RunSink } from "./run-result";
import { upstreamClient } from "./upstream";

export interface CheckedChat {
  request: ChatRequest;
  imageCount: number;
  lang: Lang;
  requestId: string;
  /** What the model is sent, when it is more than the query says (the UI dialect's earlier tool calls). */
  messages?: ChatCompletionMessageParam[];
  /** The ids the client gave the query's messages (the AI SDK's), kept with a stored conversation. */
  ids?: (string | undefined)[];
  /** A conversation kept by the service (set inside its ChatRoom): what the model is sent before the query. */
  history?: () => Promise<HistoryWindow>;
}

/** `approvals`: the resumable chat's gate; a plain chat has none. */
export function startChat(
  config: Config,
  chat: CheckedChat,
  waitUntil: (promise: Promise<unknown>) => void,
  approvals?: ApprovalGate,
): (sink: RunSink) => Promise<RunResult> {
  return (sink) => {
    const tools = toolSet(config);
    const run = runChat({ config, client: upstreamClient(config), tools, approvals, sink, ...chat });
    if (tools?.close) waitUntil(run.catch(() => {}).then(() => tools.close!()).catch(() => {}));
    return run;
  };
}

/** Every configured MCP server as one ToolSet, or none. */
function toolSet(config: Config): ToolSet | undefined {
  const { mcp } = config;
  if (!mcp.servers.length) return undefined;
  return combineToolSources(
    mcp.servers.map((server) => ({
      label: server.label,
      approval: server.approval,
      source: lazyMcpToolSource({ ...mcp, redact: config.redact, url: server.url, authToken: server.authToken, allowlist: server.allow }),
    })),
  );
}
