/** A ChatRoom's run of one scope, while the object is in memory: its log, storage progress, and how it is stopped. */
import type { RunResult } from "../chat/run-result";
import type { Turn } from "../conversations/conversation";
import { RunAborted } from "../errors";
import type { UiApprovals } from "../ui/ui-encoder";
import type { EventLog } from "./event-log";

/** How long `stop` waits for the run to wind down before answering. */
const STOP_WAIT_MS = 2_000;

export interface Live {
  log: EventLog;
  /** Events kept in storage, and the number of the next part row. */
  flushed: number;
  parts: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Present while this instance runs it. */
  abort?: AbortController;
  finished?: Promise<RunResult>;
  /** How the AI SDK dialect's readers show approvals. */
  approvals: UiApprovals;
  /** Each approval's pause: the `seq` after which the run first waited for it. */
  pauseOf: Map<string, number>;
  /** A turn of a conversation kept by the service. */
  turn?: Turn;
  /** The chat was deleted: nothing of this run is written any more. */
  deleted?: boolean;
}

/** Stops a running run and waits (a while) for it to wind down: its result, or undefined if it took longer. */
export function stopRun(live: Live): Promise<RunResult | undefined> {
  live.abort!.abort(new RunAborted("stopped"));
  return Promise.race([live.finished!, new Promise<undefined>((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
}

/** When an ended run's events are deleted: `ttlS` after its terminal event; undefined while it runs. */
export function expiresAt(live: Live, ttlS: number): number | undefined {
  const last = live.log.events.at(-1);
  if (!live.log.terminated || !last || !("timestamp" in last)) return undefined;
  return Date.parse(last.timestamp) + ttlS * 1000;
}
