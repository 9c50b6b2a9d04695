/**
 * Exactly one structured log line per request: `console.log` of one JSON object, written when the
 * response is complete (for a stream, when the stream ends). Holds request id, method, path,
 * status, durations, the key's fingerprint, the hashed user id, format, outcome, token usage and
 * tool calls (names, ok or not); never keys, tokens, image bytes or message text. The per-chunk
 * path is not touched: a streamed chat reports once, through the callback of `track()`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { RunResult } from "../chat/run-result";
import { isStreamed, type Format } from "../stream/formats";
import { levelOf, runLogFields } from "./run-log";

declare module "hono" {
  interface ContextVariableMap {
    /** The request's log line, filled in as the request goes. */
    log: RequestLog;
  }
}

export class RequestLog {
  /** Key fingerprint or `anonymous` (src/security/auth.ts). */
  key?: string;
  /** First 16 hex of the SHA-256 of `user_id`. */
  user?: string;
  format?: Format;
  rateLimiterFailed?: boolean;
  result?: RunResult;
  pending?: Promise<void>;

  /** For a response that outlives the handler: the line waits until the returned callback runs. */
  track(): (result: RunResult) => void {
    let settle!: () => void;
    this.pending = new Promise<void>((resolve) => (settle = resolve));
    return (result) => {
      this.result = result;
      settle();
    };
  }
}

export const requestLog: MiddlewareHandler = async (c, next) => {
  const started = Date.now();
  const log = new RequestLog();
  c.set("log", log);
  try {
    await next();
  } catch (err) {
    console.log(JSON.stringify(line(c, log, 500, started, undefined, err)));
    throw err;
  }
  const headersAt = Date.now();
  const status = c.res.status;
  const write = () => console.log(JSON.stringify(line(c, log, status, started, headersAt)));
  if (!log.pending) return write();
  const done = log.pending.then(write);
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // No execution context (a bare app.request in a test): the promise still runs.
  }
};

function line(c: Context, log: RequestLog, status: number, started: number, headersAt?: number, thrown?: unknown) {
  const result = log.result;
  const streamed = status === 200 && log.format !== undefined && isStreamed(log.format);
  const code = result?.envelope.code ?? status;
  const { level: _level, code: _code, error, ...run } = result ? runLogFields(result) : { level: undefined, code: undefined, error: undefined };
  return {
    level: levelOf(Math.max(status, code)),
    msg: "request",
    requestId: c.var.requestId,
    method: c.req.method,
    path: c.req.path.slice(0, 200),
    status,
    ...(code !== status ? { code } : {}),
    duration_ms: Date.now() - started,
    ...(streamed && headersAt !== undefined ? { ttfb_ms: headersAt - started } : {}),
    ...(log.format ? { format: log.format } : {}),
    ...(log.key ? { key: log.key } : {}),
    ...(log.user ? { user: log.user } : {}),
    ...run,
    ...(log.rateLimiterFailed ? { rate_limiter_failed: true } : {}),
    ...(error ? { error } : errorOf(thrown ?? c.error, code)),
  };
}

/** Our own error message (never request content), or the stack of an unexpected error. */
function errorOf(err: unknown, code: number) {
  if (code < 400 || !err) return {};
  if (err instanceof HTTPException) return { error: err.message.slice(0, 500) };
  return { error: err instanceof Error ? (err.stack ?? err.message).slice(0, 2000) : String(err).slice(0, 500) };
}
