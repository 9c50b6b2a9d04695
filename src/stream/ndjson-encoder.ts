/** NDJSON: one JSON event per line. */
import type { Encoder } from "./encoder";
import { eventJson } from "./event-json";

export function ndjsonEncoder(): Encoder {
  const json = eventJson();
  return {
    event: (event, seq) => json(event, seq) + "\n",
    ping: (requestId, seq) => `{"type":"ping","requestId":${JSON.stringify(requestId)},"seq":${seq}}\n`,
    // Insignificant white space before the next line's JSON.
    probe: " ",
  };
}
