import type { ChatEvent } from "../schema/events";

/** Turns events into the text of one response format. */
export interface Encoder {
  contentType: string;
  encode(event: ChatEvent): string;
}
