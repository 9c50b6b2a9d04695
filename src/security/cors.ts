/**
 * CORS from `CORS_ORIGINS` (comma-separated origins, or `*`; empty = none) with hono/cors.
 * A request from an allowed origin gets the CORS headers, on errors too (they are set before the
 * route runs, and Hono carries them into the error response), and its preflight is answered here,
 * before any key is asked for. A request from any other origin gets no CORS headers at all, so the
 * browser refuses it; its preflight falls through to the routes (405 / 404).
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../app-env";

const allowed = cors({
  origin: (origin, c) => (c.var.config.corsOrigins === "*" ? "*" : origin),
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: ["Authorization", "Content-Type", "Accept", "Accept-Language"],
  exposeHeaders: ["X-Request-Id", "Retry-After", "WWW-Authenticate"],
  maxAge: 600,
});

export const corsPolicy: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header("origin");
  const origins = c.var.config.corsOrigins;
  if (origin && isAllowed(origins, origin)) return allowed(c, next);
  await next();
  // The answer depends on Origin: caches must not hand it to an allowed origin.
  if (origins !== "*" && origins.length) c.res.headers.append("Vary", "Origin");
};

function isAllowed(origins: string[] | "*", origin: string): boolean {
  return origins === "*" || origins.includes(origin);
}
