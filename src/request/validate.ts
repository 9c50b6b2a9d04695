/**
 * Validation of the chat request body: JSON only (415 otherwise), the zod schema with a message
 * that names the field (400), then the image checks.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, Next } from "hono";
import type { z } from "zod";
import { ApiError } from "../errors";
import { ChatRequest } from "../schema/request";

/** `query[0].content[1].image_url` from zod's path. */
export function fieldName(path: readonly PropertyKey[]): string {
  let name = "";
  for (const key of path) {
    name += typeof key === "number" ? `[${key}]` : name ? `.${String(key)}` : String(key);
  }
  return name || "body";
}

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

export const validateChatRequest = zValidator("json", ChatRequest, (result) => {
  if (!result.success) throw new ApiError(400, describeIssue(result.error.issues[0]));
});
