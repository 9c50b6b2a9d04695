/**
 * Approval of tool calls: a call whose server's policy asks for it waits for a person's answer
 * (`POST /api/chat/{chat_id}/approvals/{approval_id}`), which only a resumable chat can take: its
 * run outlives the connection while the person decides. The ChatRoom Durable Object implements
 * the gate; a plain chat has none, and such tools are not offered.
 */
import { newId } from "../steps/recorder";

/** An approval's id: `apr_` and 12 hex digits (newId). An `approval_id` of another form waits for nothing. */
export const APPROVAL_ID_PATTERN = /^apr_[0-9a-f]{12}$/;

export function newApprovalId(): string {
  return newId("apr_");
}

export interface ApprovalDecision {
  approve: boolean;
  reason?: string;
}

export interface ApprovalGate {
  /** Waits for the answer to `approvalId`; unanswered after `timeoutMs` it is a denial. Rejects when `signal` aborts. */
  wait(approvalId: string, timeoutMs: number, signal: AbortSignal): Promise<ApprovalDecision & { timedOut?: boolean }>;
  /**
   * The run has nothing to do but wait for people: every tool call of the round is done or waits
   * for its answer. Called again each time that becomes true.
   */
  idle?(): void;
}
