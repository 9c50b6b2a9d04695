/**
 * chatapi: one Hono app on Cloudflare Workers. Request → checks (src/security, src/request) → chat
 * run (src/chat: model rounds and tool calls, src/steps: the step events) → response (src/stream:
 * formats, encoders, the writer) or, for a resumable chat, its Durable Object (src/resume).
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env";
import { useConfig } from "./config";
import { ApiError, envelope } from "./errors";
import { drainRefusedBody } from "./request/drain-body";
import { detectLanguage } from "./request/language";
import type { Health } from "./schema/health";
import { chat } from "./routes/chat";
import { chats } from "./routes/chats";
import { schemaRoute } from "./routes/schema";
import { uiChat } from "./routes/ui-chat";
import { corsPolicy } from "./security/cors";
import { requestLog } from "./log/request-log";
import { newId } from "./steps/recorder";

export { ChatRoom } from "./resume/chat-room";
export { ChatList } from "./conversations/chat-list";

const app = new Hono<AppEnv>();

app.use(requestId({ generator: () => newId("req_"), limitLength: 64 }));
app.use(useConfig);
// One log line per request; CORS headers on every answer to an allowed origin, errors included,
// and its preflight answered before any key is asked for (src/security).
app.use(requestLog);
app.use(corsPolicy);
// A small body refused unread is read before the answer, so the connection stays usable.
app.use(drainRefusedBody);
// Step texts: Chinese unless Accept-Language prefers English.
app.use(detectLanguage);
app.use(
  methodNotAllowed({
    app,
    onMethodNotAllowed: (_c, methods) => {
      const allow = methods.filter((m) => m !== "HEAD").join(", ");
      throw new ApiError(405, `Method not allowed; use ${allow}`, { Allow: methods.join(", ") });
    },
  }),
);

app.get("/health", (c) => c.json({ status: "healthy", timestamp: new Date().toISOString() } satisfies Health));
app.route("/api/chat", chat);
app.route("/api/ui/chat", uiChat);
app.route("/api/chats", chats);
app.route("/api/schema", schemaRoute);

app.notFound((c) => c.json(envelope(404, `No route for ${c.req.method} ${new URL(c.req.url).pathname}`, c.get("requestId"), { steps: [] }), 404));

app.onError((err, c) => {
  const requestId = c.get("requestId") ?? newId("req_");
  if (err instanceof HTTPException) {
    const status = err.status;
    const headers = err instanceof ApiError ? err.headers : {};
    // Hono's own body-parse errors say "Malformed JSON…": name the field, which is the body.
    const message = status === 400 && !(err instanceof ApiError) ? `body: ${err.message}` : err.message;
    return c.json(envelope(status, message, requestId, { steps: [] }), status, { ...headers, "X-Request-Id": requestId });
  }
  // Not ours: the request's log line (src/log/request-log.ts) carries the stack.
  return c.json(envelope(500, "Internal error", requestId, { steps: [] }), 500, { "X-Request-Id": requestId });
});

export default app;
