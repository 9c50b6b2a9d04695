/**
 * chatapi: one Hono app on Cloudflare Workers. Request → validation (src/request) → chat run
 * (src/chat: model rounds and tool calls) → step events (src/steps) → encoders (src/encoders) →
 * response (src/response).
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app-env";
import { ApiError, envelope } from "./errors";
import { chat } from "./routes/chat";
import { schemaRoute } from "./routes/schema";
import { corsPolicy } from "./security/cors";
import { requestLog } from "./security/request-log";
import { newId } from "./steps/recorder";

const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  const requestId = newId("req_");
  c.set("requestId", requestId);
  await next();
  c.res.headers.set("X-Request-Id", requestId);
});
// One log line per request; CORS headers on every answer to an allowed origin, errors included,
// and its preflight answered before any key is asked for (src/security).
app.use(requestLog);
app.use(corsPolicy);

app.get("/health", (c) => c.json({ status: "healthy", timestamp: new Date().toISOString() }));
app.route("/api/chat", chat);
app.route("/api/schema", schemaRoute);

app.all("/health", () => methodNotAllowed("GET"));
app.all("/api/chat", () => methodNotAllowed("POST"));
app.all("/api/schema", () => methodNotAllowed("GET"));

app.notFound((c) => c.json(envelope(404, `No route for ${c.req.method} ${new URL(c.req.url).pathname}`, c.get("requestId"), { steps: [] }), 404));

app.onError((err, c) => {
  const requestId = c.get("requestId") ?? newId("req_");
  if (err instanceof HTTPException) {
    const status = err.status;
    const headers = err instanceof ApiError ? err.headers : {};
    // Hono's own body-parse errors say "Malformed JSON…": name the field, which is the body.
    const message = status === 400 && !(err instanceof ApiError) ? `body: ${err.message}` : err.message;
    return c.json(envelope(status, message, requestId, { steps: [] }), status, headers);
  }
  // Not ours: the request's log line (src/security/request-log.ts) carries the stack.
  return c.json(envelope(500, "Internal error", requestId, { steps: [] }), 500);
});

function methodNotAllowed(allow: string): never {
  throw new ApiError(405, `Method not allowed; use ${allow}`, { Allow: allow });
}

export default app;
