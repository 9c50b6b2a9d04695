/** Server-sent events: `event: TYPE` + `data: JSON` per event (JSON has no raw newline). */
import type { ChatEvent } from "../schema/events";
import { ndjsonEncoder } from "./ndjson";
import type { Encoder } from "./types";

export function sseEncoder(): Encoder {
  const json = ndjsonEncoder();
  return {
    contentType: "text/event-stream; charset=utf-8",
    encode(event: ChatEvent): string {
      const line = json.encode(event);
      return `event: ${event.type}\ndata: ${line}\n`;
    },
  };
}
