/** `ChatApiError`: an error envelope (a non-2xx response) as a typed exception. */
import type { EnvelopeData } from "./types";

export class ChatApiError extends Error {
  override readonly name = "ChatApiError";
  constructor(
    /** The HTTP status (`200` when a stream broke off without a terminal event). */
    readonly status: number,
    /** The envelope's `code` (equals `status` before a stream starts). */
    readonly code: number,
    message: string,
    /** The envelope's `requestId` (or the `X-Request-Id` header). */
    readonly requestId: string | undefined,
    /** The steps so far, and the answer / usage where some exist. */
    readonly data: EnvelopeData = { steps: [] },
    /** Seconds from `Retry-After`, on a `429`. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** A ChatApiError from a non-2xx response: its envelope, or a plain description when the body is not one. */
export async function errorFromResponse(res: Response): Promise<ChatApiError> {
  const text = await res.text().catch(() => "");
  const headerId = res.headers.get("x-request-id") ?? undefined;
  const retry = Number(res.headers.get("retry-after") ?? NaN);
  const retryAfter = Number.isFinite(retry) ? retry : undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isEnvelope(body)) {
    return new ChatApiError(res.status, body.code, body.message, body.requestId ?? headerId, body.data ?? { steps: [] }, retryAfter);
  }
  const detail = text.trim().slice(0, 200) || res.statusText || "no body";
  return new ChatApiError(res.status, res.status, `HTTP ${res.status}: ${detail}`, headerId, { steps: [] }, retryAfter);
}

function isEnvelope(v: unknown): v is { code: number; message: string; requestId?: string; data?: EnvelopeData } {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.code === "number" && typeof o.message === "string";
}
