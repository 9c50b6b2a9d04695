/**
 * MCP tool names → names the chat-completions API accepts (^[a-zA-Z0-9_-]{1,64}$), unique within
 * one list, with the map back to the server's names; and what the model is told when it calls a
 * name that was not offered.
 */

export const API_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX = 64;

/** At most this many tools are offered in one request (Azure accepts at most 128 functions). */
export const MAX_OFFERED_TOOLS = 128;

/** One name made valid: other characters become `_`, cut to 64; an empty name becomes `tool`. */
export function sanitizeToolName(serverName: string): string {
  const cleaned = serverName.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, MAX);
  return cleaned || "tool";
}

/**
 * A valid API name for each entry, in order, every one unique (case-insensitively), also where
 * two entries want the same spelling: two tools are two names. A name that is already valid keeps
 * its spelling when it can; a collision gets `_2`, `_3`, … (the base cut so the whole stays ≤ 64).
 */
export function uniqueToolNames(wanted: readonly string[]): string[] {
  const names: string[] = new Array(wanted.length);
  const taken = new Set<string>();
  // Valid names first, so a sanitised name never steals the spelling of a real one.
  const order = [...wanted.keys()].sort((a, b) => Number(!API_TOOL_NAME.test(wanted[a])) - Number(!API_TOOL_NAME.test(wanted[b])) || a - b);
  for (const i of order) {
    const base = sanitizeToolName(wanted[i]);
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) {
      const suffix = `_${n}`;
      name = base.slice(0, MAX - suffix.length) + suffix;
    }
    taken.add(name.toLowerCase());
    names[i] = name;
  }
  return names;
}

/** Valid, unique API names for one server's tool names (a name listed twice is one tool), in the server's order. */
export function assignToolNames(serverNames: readonly string[]): Map<string, string> {
  const distinct = [...new Set(serverNames)];
  const names = uniqueToolNames(distinct);
  return new Map(distinct.map((n, i) => [n, names[i]]));
}

/** What the model is told when it calls a tool that was not offered to it. */
export function unknownToolText(name: string, offered: readonly string[]): string {
  return `Unknown tool "${name}". Available tools: ${offered.join(", ") || "none"}.`;
}
