/** What the Worker and a ChatRoom say to each other over RPC: who calls, the run to start, and what comes back. */
import type { CheckedChat } from "../chat/start-chat";
import { envelope, type EnvelopeData } from "../errors";
import type { RunEnvelope } from "../schema/events";
import type { Format, StreamFormat } from "../stream/formats";
import type { UiApprovals } from "../ui/ui-encoder";

/** The caller's scope (its key's fingerprint, or `anonymous`) and this request's id. */
export interface Caller {
  scope: string;
  requestId: string;
}

export interface RoomRun extends Caller {
  /** The checked request, and what the model is sent when that is more than its query (the AI SDK dialect). */
  chat: CheckedChat;
  format: Format;
  /** How the AI SDK dialect's readers show approvals. */
  approvals: UiApprovals;
  /** The AI SDK's regenerate: a `replace_from` that names no stored message is not an error. */
  regenerate?: boolean;
}

/** A run's stream (its `requestId` is the run's), an envelope (HTTP status = its code), a JSON document (`200`), or nothing (`204`). */
export type RoomAnswer =
  | { kind: "stream"; format: StreamFormat; requestId: string; body: ReadableStream<Uint8Array> }
  | { kind: "envelope"; envelope: RunEnvelope; headers: Record<string, string> }
  | { kind: "json"; body: unknown }
  | { kind: "none" };

/** An envelope answer (no steps unless given). */
export function envelopeAnswer(code: 200 | 400 | 404 | 409, message: string, requestId: string, data: EnvelopeData = { steps: [] }): RoomAnswer {
  return { kind: "envelope", envelope: envelope(code, message, requestId, data), headers: {} };
}
