/** What the Worker and a ChatRoom say to each other over RPC: who calls, the run to start, and what comes back. */
import type { CheckedChat } from "../chat/start-chat";
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
}

/** A run's stream (its `requestId` is the run's), an envelope (HTTP status = its code), or nothing to read (`204`). */
export type RoomAnswer =
  | { kind: "stream"; format: StreamFormat; requestId: string; body: ReadableStream<Uint8Array> }
  | { kind: "envelope"; envelope: RunEnvelope; headers: Record<string, string> }
  | { kind: "none" };
