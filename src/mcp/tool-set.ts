/**
 * Several MCP servers as one ToolSet: each server listed in parallel (one that fails is reported,
 * the others' tools are still offered), each tool marked with its server and whether a call waits
 * for approval, and, with more than one server, offered as `{label}__{tool}` (made valid and
 * unique); a call goes to the server the tool came from.
 */
import { needsApproval, type McpServerConfig } from "./servers-config";
import { uniqueToolNames, unknownToolText } from "./tool-names";
import type { ServerListing, ToolResult, ToolSet, ToolSource, ToolSpec } from "./types";

export interface ServerSource {
  label: string;
  source: ToolSource;
  approval: McpServerConfig["approval"];
}

export function combineToolSources(sources: ServerSource[]): ToolSet {
  return new CombinedToolSet(sources);
}

class CombinedToolSet implements ToolSet {
  readonly servers: readonly string[];
  readonly #sources: ServerSource[];
  /** Offered name → the server's source and the name that source knows the tool by. */
  #routes = new Map<string, { source: ToolSource; name: string }>();

  constructor(sources: ServerSource[]) {
    this.#sources = sources;
    this.servers = sources.map((s) => s.label);
  }

  async listTools(signal?: AbortSignal): Promise<ServerListing[]> {
    const settled = await Promise.allSettled(this.#sources.map((s) => s.source.listTools(signal)));
    const several = this.#sources.length > 1;
    const listings: ServerListing[] = settled.map((result, i) => {
      const { label, approval } = this.#sources[i];
      if (result.status === "rejected") {
        const reason = result.reason;
        return { server: label, tools: [], error: reason instanceof Error ? reason.message : String(reason) };
      }
      const tools = result.value.map((spec) => ({ ...spec, server: label, approval: needsApproval(approval, spec.serverName, spec.readOnly) }));
      return { server: label, tools };
    });
    // One name per tool, by position: `a` + `b__c` and `a__b` + `c` want the same spelling, and
    // each gets a name of its own that routes to its own server.
    const wanted = listings.flatMap((l) => l.tools.map((spec) => (several ? `${l.server}__${spec.serverName}` : spec.name)));
    const names = uniqueToolNames(wanted);
    this.#routes = new Map();
    let next = 0;
    for (const [i, listing] of listings.entries()) {
      listing.tools = listing.tools.map((spec): ToolSpec => {
        const offered = names[next++];
        this.#routes.set(offered, { source: this.#sources[i].source, name: spec.name });
        return { ...spec, name: offered };
      });
    }
    return listings;
  }

  async callTool(name: string, argumentsJson: string, signal?: AbortSignal): Promise<ToolResult> {
    const route = this.#routes.get(name);
    if (!route) return { ok: false, text: unknownToolText(name, [...this.#routes.keys()]) };
    return route.source.callTool(route.name, argumentsJson, signal);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#sources.map((s) => s.source.close?.()));
  }
}
