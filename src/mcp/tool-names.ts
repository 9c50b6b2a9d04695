/**
 * MCP tool names → names the chat-completions API accepts (^[a-zA-Z0-9_-]{1,64}$), unique within
 * one list, with the map back to the server's names.
 */

export const API_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX = 64;

/** One name made valid: other characters become `_`, cut to 64; an empty name becomes `tool`. */
export function sanitizeToolName(serverName: string): string {
  const cleaned = serverName.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, MAX);
  return cleaned || "tool";
}

/**
 * Valid, unique API names for the server's names, in order. A name that is already valid keeps
 * its spelling when it can; a collision gets `_2`, `_3`, … (the base cut so the whole stays ≤ 64).
 */
export function assignToolNames(serverNames: readonly string[]): Map<string, string> {
  const byServerName = new Map<string, string>();
  const taken = new Set<string>();
  // Valid names first, so a sanitised name never steals the spelling of a real one.
  const ordered = [
    ...serverNames.filter((n) => API_TOOL_NAME.test(n)),
    ...serverNames.filter((n) => !API_TOOL_NAME.test(n)),
  ];
  for (const serverName of ordered) {
    if (byServerName.has(serverName)) continue;
    const base = sanitizeToolName(serverName);
    let name = base;
    for (let i = 2; taken.has(name.toLowerCase()); i++) {
      const suffix = `_${i}`;
      name = base.slice(0, MAX - suffix.length) + suffix;
    }
    taken.add(name.toLowerCase());
    byServerName.set(serverName, name);
  }
  // Back in the server's order.
  return new Map(serverNames.filter((n, i) => serverNames.indexOf(n) === i).map((n) => [n, byServerName.get(n)!]));
}
