/**
 * The JSON text of one event with its `seq`, shared by the NDJSON and SSE encoders; steps as the
 * contract has them (./wire.ts). Deltas, the bulk of a stream, take a prefix built once per model step.
 */
import type { RunEvent } from "../schema/events";
import { wireEvent } from "./wire";

export function eventJson(): (event: RunEvent, seq: number) => string {
  let prefixFor = "";
  let prefix = "";
  return (event, seq) => {
    if (event.type === "delta") {
      if (event.message_id !== prefixFor) {
        prefixFor = event.message_id;
        prefix = `{"type":"delta","requestId":${JSON.stringify(event.requestId)},"message_id":${JSON.stringify(event.message_id)},"seq":`;
      }
      return `${prefix}${seq},"text":${JSON.stringify(event.text)}}`;
    }
    // As JSON.stringify({ ...event, seq }) (seq last), without copying the event again.
    const wire = wireEvent(event);
    if ("seq" in wire) return JSON.stringify({ ...wire, seq });
    const json = JSON.stringify(wire);
    return `${json.slice(0, -1)},"seq":${seq}}`;
  };
}
