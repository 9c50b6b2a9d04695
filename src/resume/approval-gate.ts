/**
 * The approvals a ChatRoom's runs wait for: each tool call that needs one waits here until a
 * person answers (`approve`, or the AI SDK dialect's next request), until its time is up (a
 * denial), or until the run is stopped. While any waits, the room keeps an alarm at most
 * `KEEP_ALIVE_MS` away, which keeps the object in memory although no request may be open (the
 * Agents SDK's `keepAlive` does the same).
 */
import type { ApprovalDecision, ApprovalGate } from "../chat/approvals";
import type { EventLog } from "./event-log";

const KEEP_ALIVE_MS = 30_000;

interface Waiting {
  scope: string;
  deadline: number;
  answer(decision: ApprovalDecision & { timedOut?: boolean }): void;
}

export class Approvals {
  readonly #waiting = new Map<string, Waiting>();

  /** `changed`: a wait began, so the room's alarm may need to come sooner. */
  constructor(private readonly changed: () => void) {}

  /**
   * The gate of one run. When the run has nothing to do but wait for people, its log is paused
   * and `pauseOf` records, for each approval, the `seq` after which the run first waited for it.
   */
  gate(scope: string, log: EventLog, pauseOf: Map<string, number>): ApprovalGate {
    return {
      wait: (approvalId, timeoutMs, signal) =>
        new Promise((resolve, reject) => {
          const done = () => {
            clearTimeout(timer);
            this.#waiting.delete(approvalId);
            signal.removeEventListener("abort", aborted);
            log.unpause();
          };
          const timer = setTimeout(() => waiting.answer({ approve: false, timedOut: true }), timeoutMs);
          const aborted = () => {
            done();
            reject(signal.reason);
          };
          signal.addEventListener("abort", aborted, { once: true });
          const waiting: Waiting = {
            scope,
            deadline: Date.now() + timeoutMs,
            answer: (decision) => {
              done();
              resolve(decision);
            },
          };
          this.#waiting.set(approvalId, waiting);
          this.changed();
        }),
      idle: () => {
        log.pause();
        for (const [approvalId, waiting] of this.#waiting) {
          if (waiting.scope === scope && !pauseOf.has(approvalId)) pauseOf.set(approvalId, log.lastSeq);
        }
      },
    };
  }

  /** Answers the call waiting for `approvalId` in this scope; false when none does. */
  answer(scope: string, approvalId: string, decision: ApprovalDecision): boolean {
    const waiting = this.#waiting.get(approvalId);
    if (waiting?.scope !== scope) return false;
    waiting.answer(decision);
    return true;
  }

  /** The backstop of the waits' own timers: those whose time is up are denied. */
  expire(now: number): void {
    for (const waiting of [...this.#waiting.values()]) if (waiting.deadline <= now) waiting.answer({ approve: false, timedOut: true });
  }

  /** When the room's alarm must fire next for the waits, if any wait. */
  nextAlarm(now: number): number | undefined {
    let next: number | undefined;
    for (const waiting of this.#waiting.values()) next = Math.min(next ?? Infinity, waiting.deadline, now + KEEP_ALIVE_MS);
    return next;
  }
}
