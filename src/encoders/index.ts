import type { Format } from "../request/negotiate";
import { ndjsonEncoder } from "./ndjson";
import { sseEncoder } from "./sse";
import type { Encoder } from "./types";

export type { Encoder } from "./types";

export function encoderFor(format: Exclude<Format, "json">): Encoder {
  return format === "sse" ? sseEncoder() : ndjsonEncoder();
}
