/**
 * The server's tool list, cached at module level for a short time so chats don't list tools every
 * time (each MCP round trip is a subrequest on Workers). Plain data only: I/O objects must not be
 * shared across requests. Keyed by URL and a hash of the token, so a token change is a new entry
 * and the token itself is never kept.
 */
import { hashId } from "../security/digest";

/** A tool as the server listed it: plain JSON. */
export interface ServerTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  readOnly?: boolean;
}

interface Entry {
  tools: ServerTool[];
  expiresAt: number;
}

const entries = new Map<string, Entry>();
const MAX_ENTRIES = 32;

export async function toolListCacheKey(url: string, token: string | undefined): Promise<string> {
  if (!token) return `${url}\n-`;
  return `${url}\n${await hashId(token, 32)}`;
}

export function getCachedTools(key: string, now = Date.now()): ServerTool[] | undefined {
  const entry = entries.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt <= now) {
    entries.delete(key);
    return undefined;
  }
  return entry.tools;
}

export function setCachedTools(key: string, tools: ServerTool[], ttlMs: number, now = Date.now()): void {
  if (ttlMs <= 0) return;
  if (!entries.has(key) && entries.size >= MAX_ENTRIES) {
    // Drop the oldest entry (Map keeps insertion order).
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
  entries.set(key, { tools, expiresAt: now + ttlMs });
}

/**
 * A listing that just failed is remembered for a few seconds, so a server that is down or hangs
 * costs one chat the wait (up to MCP_TOOL_TIMEOUT_MS), not every chat in a row.
 */
export const FAILURE_TTL_MS = 10_000;
const failures = new Map<string, { message: string; until: number }>();

export function getRecentFailure(key: string, now = Date.now()): string | undefined {
  const failure = failures.get(key);
  if (failure && failure.until > now) return failure.message;
  failures.delete(key);
  return undefined;
}

export function setRecentFailure(key: string, message: string, ttlMs: number, now = Date.now()): void {
  if (ttlMs <= 0) return;
  if (!failures.has(key) && failures.size >= MAX_ENTRIES) failures.delete(failures.keys().next().value!);
  failures.set(key, { message, until: now + Math.min(ttlMs, FAILURE_TTL_MS) });
}

export function clearToolListCache(): void {
  entries.clear();
  failures.clear();
}
