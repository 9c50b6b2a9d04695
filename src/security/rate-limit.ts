/**
 * Rate limits with Workers' Rate Limiting bindings (`[[ratelimits]]` in wrangler.toml):
 * `KEY_RATE_LIMITER` per API key (anonymous clients: per client IP), counted before the body is
 * read; `USER_RATE_LIMITER` per `user_id` within a key, counted once the request is valid. A
 * binding that is not configured means no limit. Over the limit: a 429 envelope with
 * `Retry-After: RATE_LIMIT_RETRY_AFTER_S`. If the limiter itself fails, the request is served
 * (and the log line says so): an outage of the counter must not take the API down.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { ANONYMOUS } from "./auth";

export const limitPerKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const client = c.var.client;
  const key = client === ANONYMOUS ? `ip:${c.req.header("cf-connecting-ip") ?? "unknown"}` : client;
  await check(c, c.env.KEY_RATE_LIMITER, key, client === ANONYMOUS ? "from this address" : "with this API key");
  return next();
};

/** `userHash`: the hashed `user_id` (src/security/digest.ts), scoped to the caller's key. */
export async function limitPerUser(c: Context<AppEnv>, userHash: string): Promise<void> {
  await check(c, c.env.USER_RATE_LIMITER, `${c.var.client}:${userHash}`, "for this user_id");
}

async function check(c: Context<AppEnv>, limiter: RateLimit | undefined, key: string, scope: string): Promise<void> {
  if (!limiter) return;
  let success: boolean;
  try {
    ({ success } = await limiter.limit({ key }));
  } catch {
    c.var.log.rateLimiterFailed = true;
    return;
  }
  if (!success) {
    const seconds = c.var.config.rateLimitRetryAfterS;
    throw new ApiError(429, `Rate limit exceeded: too many requests ${scope}; retry after ${seconds} s`, { "Retry-After": String(seconds) });
  }
}
