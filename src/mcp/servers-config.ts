/**
 * `MCP_SERVERS`: several MCP servers as a JSON list of
 * `{"label", "url", "token_secret"?, "allow"?, "approval"?}`; `MCP_SERVER_URL` + `MCP_AUTH_TOKEN`
 * stay the one-server shorthand. A malformed list is not a crash: the config carries the reason,
 * and a chat answers `503` with it. Tokens are read from the Worker secrets the list names and
 * never appear in a message.
 */
import * as z from "zod";

/** `never`, `always`, `writes` (tools whose annotations do not say `readOnlyHint: true`), or tool names. */
export type ApprovalPolicy = "never" | "always" | "writes" | string[];

export interface McpServerConfig {
  label: string;
  url: string;
  authToken?: string;
  allow?: string[];
  approval: ApprovalPolicy;
}

/**
 * The list's schema, built on first use (only a Worker with `MCP_SERVERS` set needs it). zod/mini
 * was tried here and broke in wrangler's bundle (`t is not a constructor` on first use, while the
 * test pool's module loading hid it): the classic API, as everywhere else.
 */
let serverList: ReturnType<typeof buildServerList> | undefined;

function buildServerList() {
  const name = () => z.string().min(1);
  const Server = z.strictObject({
    label: z.string().regex(/^[a-z0-9_]{1,32}$/, "must be 1 to 32 of a-z 0-9 _"),
    url: z.url({ protocol: /^https?$/ }),
    token_secret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must name a Worker secret").optional(),
    allow: z.array(name()).optional(),
    approval: z.union([z.enum(["never", "always", "writes"]), z.array(name())]).optional(),
  });
  return z.array(Server).min(1);
}

/** The servers, or `error` saying what is wrong with `MCP_SERVERS` (the chat answers 503 with it). */
export function readMcpServers(env: Record<string, unknown>, shorthand: { url: string; authToken: string; allowlist?: string[] }):
  | { servers: McpServerConfig[]; error?: undefined }
  | { servers: []; error: string } {
  const raw = typeof env.MCP_SERVERS === "string" ? env.MCP_SERVERS.trim() : "";
  if (!raw) {
    if (!shorthand.url) return { servers: [] };
    return { servers: [{ label: "mcp", url: shorthand.url, authToken: shorthand.authToken || undefined, allow: shorthand.allowlist, approval: "never" }] };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { servers: [], error: "MCP_SERVERS is not valid JSON: it must be a JSON list of servers" };
  }
  const parsed = (serverList ??= buildServerList()).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    return { servers: [], error: `MCP_SERVERS${where}: ${issue.message}` };
  }
  const seen = new Set<string>();
  const servers: McpServerConfig[] = [];
  for (const [i, server] of parsed.data.entries()) {
    if (seen.has(server.label)) return { servers: [], error: `MCP_SERVERS[${i}].label: "${server.label}" is used twice` };
    seen.add(server.label);
    let authToken: string | undefined;
    if (server.token_secret) {
      const secret = env[server.token_secret];
      if (typeof secret !== "string" || !secret.trim()) {
        return { servers: [], error: `MCP_SERVERS[${i}].token_secret: the Worker secret ${server.token_secret} is not set` };
      }
      authToken = secret.trim();
    }
    servers.push({ label: server.label, url: server.url, authToken, allow: server.allow, approval: server.approval ?? "never" });
  }
  return { servers };
}

/** Whether a call of this tool waits for a person. */
export function needsApproval(policy: ApprovalPolicy, tool: string, readOnly: boolean | undefined): boolean {
  if (Array.isArray(policy)) return policy.includes(tool);
  return policy === "always" || (policy === "writes" && readOnly !== true);
}
