/** The encoder of each streamed format (src/stream/formats.ts): a fresh one per response. */
import { uiEncoder } from "../ui/ui-encoder";
import type { Encoder } from "./encoder";
import type { StreamFormat } from "./formats";
import { ndjsonEncoder } from "./ndjson-encoder";
import { sseEncoder } from "./sse-encoder";

export const ENCODERS: Record<StreamFormat, () => Encoder> = {
  ndjson: ndjsonEncoder,
  sse: sseEncoder,
  ui: () => uiEncoder(),
};
