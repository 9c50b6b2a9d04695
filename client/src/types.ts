/**
 * The client's types, inferred from the zod schemas (src/schema). Imported as types only: the
 * client carries no zod at run time.
 */
import type { ChatEvent, DeltaEvent, DoneEvent, Envelope, ErrorEvent, Step, StepEvent, ToolStatus, ToolType, Usage } from "../../src/schema/events";
import type { ChatRequest, InputImagePart, QueryMessage } from "../../src/schema/request";

export type { ChatEvent, ChatRequest, DeltaEvent, DoneEvent, Envelope, ErrorEvent, InputImagePart, QueryMessage, Step, StepEvent, ToolStatus, ToolType, Usage };

/** What a user message may hold: text, or a list of `input_text` and `input_image` parts. */
export type UserContent = Extract<QueryMessage, { role: "user" }>["content"];

/** The `data` of an envelope: every step, and the answer and usage where some exist. */
export type EnvelopeData = Envelope["data"];

/** A `fetch` as browsers, Node and Workers have it. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Where the service is, e.g. `https://chatapi.example.workers.dev` or `""` for the page's own origin. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** Aborts the request (and, on the server, the upstream request). */
  signal?: AbortSignal;
  /** The language of the steps' `present_content` (`Accept-Language`); the server's default is Chinese. */
  lang?: "zh" | "en";
  /** Another `fetch` (tests, proxies, a Worker's service binding). */
  fetch?: FetchLike;
}

export interface StreamOptions extends ClientOptions {
  /** The wire format; the events are the same. Default `ndjson`. */
  format?: "ndjson" | "sse";
}
