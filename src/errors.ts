/**
 * One error class for everything the service reports on purpose. `app.onError` (src/index.ts)
 * turns it into the envelope; anything else is a logged generic 500.
 */
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { RunEnvelope } from "./schema/events";
import type { ReasonKey } from "./steps/i18n";

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    message: string,
    /** Response headers that belong to this error, e.g. `Retry-After` on a 429. */
    readonly headers: Record<string, string> = {},
    /**
     * `cause`: the error this one reports (e.g. the openai SDK's), kept for debugging; never shown.
     * `reason`: what went wrong, for the step texts in the request's language (src/steps/i18n.ts).
     */
    options: { cause?: unknown; reason?: ReasonKey } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.name = "ApiError";
    this.reason = options.reason;
  }

  readonly reason?: ReasonKey;
}

export type EnvelopeData = RunEnvelope["data"];

export function envelope(code: number, message: string, requestId: string, data: EnvelopeData): RunEnvelope {
  return { code, message, timestamp: new Date().toISOString(), requestId, data };
}

/** The reason a run's signal aborts with: the client went away, or asked to stop the run. */
export class RunAborted extends Error {
  constructor(readonly why: "client_closed" | "stopped") {
    super(why === "stopped" ? "Stopped by the client" : "The client went away");
    this.name = "AbortError";
  }
}

/** A byte limit as messages name it: `32 MiB`, or `4096 bytes` when it is not a whole number of MiB. */
export function size(bytes: number): string {
  return bytes % 1048576 === 0 ? `${bytes / 1048576} MiB` : `${bytes} bytes`;
}

/** An unexpected error's stack, for the log line (never for the client). */
export function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}
