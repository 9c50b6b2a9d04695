/** NDJSON: one JSON event per line. Deltas, the bulk of a stream, take a pre-built prefix. */
import type { ChatEvent } from "../schema/events";
import type { Encoder } from "./types";

export function ndjsonEncoder(): Encoder {
  let prefixFor = "";
  let prefix = "";
  return {
    contentType: "application/x-ndjson; charset=utf-8",
    encode(event: ChatEvent): string {
      if (event.type === "delta") {
        if (event.message_id !== prefixFor) {
          prefixFor = event.message_id;
          prefix = `{"type":"delta","requestId":${JSON.stringify(event.requestId)},"message_id":${JSON.stringify(event.message_id)},"text":`;
        }
        return prefix + JSON.stringify(event.text) + "}\n";
      }
      return JSON.stringify(event) + "\n";
    },
  };
}
