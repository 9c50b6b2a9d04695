/** Server-sent events: `id: SEQ`, `event: TYPE`, `data: JSON` (JSON has no raw line break). */
import type { Encoder } from "./encoder";
import { eventJson } from "./event-json";

export function sseEncoder(): Encoder {
  const json = eventJson();
  return {
    event: (event, seq) => `id: ${seq}\nevent: ${event.type}\ndata: ${json(event, seq)}\n\n`,
    ping: () => ": ping\n\n",
    probe: ":\n",
  };
}
