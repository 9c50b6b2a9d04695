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
     * `field`: the path of the request field the message starts with (fieldError).
     */
    options: { cause?: unknown; reason?: ReasonKey; field?: FieldPath } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.name = "ApiError";
    this.reason = options.reason;
    this.field = options.field;
  }

  readonly reason?: ReasonKey;
  readonly field?: FieldPath;
}

/** A request field's path, as zod gives it: `["query", 0, "content", 1, "image_url"]`. */
export type FieldPath = readonly PropertyKey[];

/** `query[0].content[1].image_url` from a field's path; `body` for the whole body. */
export function fieldName(path: FieldPath): string {
  let name = "";
  for (const key of path) {
    name += typeof key === "number" ? `[${key}]` : name ? `.${String(key)}` : String(key);
  }
  return name || "body";
}

/** The same error about another field (a dialect's own name for it): `field: detail` with the new field. */
export function renameField(err: ApiError & { field: FieldPath }, field: FieldPath): ApiError {
  return new ApiError(err.status, fieldName(field) + err.message.slice(fieldName(err.field).length), err.headers, { field });
}

/** An error about one request field: its message is `field: detail`, and it keeps the field's path. */
export function fieldError(status: ContentfulStatusCode, field: FieldPath, detail: string): ApiError {
  return new ApiError(status, `${fieldName(field)}: ${detail}`, {}, { field });
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
