/**
 * Validation of the chat request body: JSON only (415 otherwise), cheap bounds on the parsed JSON
 * (messages per query, parts per message: 400), then the zod schema with a message that names the
 * field (400), then the image checks. The cheap bounds come first so that a hostile body — a million
 * messages — costs little more than reading it: zod would walk (and copy) every item before the
 * limits in src/security/limits.ts could refuse it.
 */
import type { Context, Next } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ApiError, fieldName } from "../errors";
import { MAX_CONTENT_PARTS } from "../schema/limits";
import { requestSchemas, uiRequestSchema } from "../schema/lazy";
import type { ChatRequest } from "../schema/request";
import type { UiChatRequest } from "../schema/ui-request";

export { fieldName };

export function describeIssue(issue: z.core.$ZodIssue): string {
  const field = fieldName(issue.path);
  if (issue.code === "invalid_union" && "errors" in issue) {
    // Report the branch that got furthest, e.g. a bad part inside a content list: not a branch whose
    // type did not fit at all, and among the rest the deepest issue.
    const fitting = issue.errors.filter((branch) => !branch.every((e) => e.code === "invalid_type" && e.path.length === 0));
    const deepest = (fitting.length ? fitting : issue.errors).flat().sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest) return describeIssue({ ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue);
  }
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((key) => fieldName([...issue.path, key]));
    return `${names.join(", ")}: unknown ${names.length === 1 ? "field" : "fields"}`;
  }
  // zod 4 does not keep the input on the issue; its message ends in "received undefined" when absent.
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) return `${field}: is required`;
  return `${field}: ${issue.message}`;
}

export async function requireJson(c: Context, next: Next) {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new ApiError(415, `Content-Type must be application/json (got ${type ? JSON.stringify(type.slice(0, 100)) : "none"})`);
  }
  await next();
}

/** The one check of the message count (MAX_QUERY_ITEMS), in either dialect: `field` is `query` or `messages`. */
function checkMessageCount(field: string, list: unknown, max: number): void {
  if (Array.isArray(list) && list.length > max) {
    throw new ApiError(400, `${field}: ${list.length} messages, more than the ${max} allowed (MAX_QUERY_ITEMS)`);
  }
}

/**
 * The bounds that need no schema: `query` longer than MAX_QUERY_ITEMS, a message's `content`
 * longer than the parts bound. Only array lengths are read, never an item's contents beyond its
 * `content` field.
 */
export function checkCheapBounds(body: unknown, maxQueryItems: number): void {
  const query = (body as { query?: unknown } | null)?.query;
  if (!Array.isArray(query)) return;
  checkMessageCount("query", query, maxQueryItems);
  for (let i = 0; i < query.length; i++) {
    const content = (query[i] as { content?: unknown } | null)?.content;
    if (Array.isArray(content) && content.length > MAX_CONTENT_PARTS) {
      throw new ApiError(400, `query[${i}].content: ${content.length} parts, more than the ${MAX_CONTENT_PARTS} allowed`);
    }
  }
}

export const validateChatRequest = validator("json", async (body: unknown, c): Promise<ChatRequest> => {
  checkCheapBounds(body, c.var.config.limits.maxQueryItems);
  const { ChatRequest } = await requestSchemas();
  const result = ChatRequest.safeParse(body);
  if (!result.success) throw new ApiError(400, describeIssue(result.error.issues[0]));
  return result.data;
});

/** The AI SDK's request (src/ui): the same cheap bound on the message count, then its schema. */
export const validateUiChatRequest = validator("json", async (body: unknown, c): Promise<UiChatRequest> => {
  checkMessageCount("messages", (body as { messages?: unknown } | null)?.messages, c.var.config.limits.maxQueryItems);
  const { UiChatRequest } = await uiRequestSchema();
  const result = UiChatRequest.safeParse(body);
  if (!result.success) throw new ApiError(400, describeIssue(result.error.issues[0]));
  return result.data;
});
