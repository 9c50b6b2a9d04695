/**
 * How the CLI (scripts/chat.ts) answers tool calls that wait for approval (`approval_request`
 * events): `--approve all` approves each, `--approve none` denies each; without the flag it asks on
 * a terminal (`Approve server/tool {args}? [y/N/reason]`, on stderr) and otherwise leaves the call
 * waiting and prints how to answer it (the curl). A question still open when its call stops
 * waiting (answered elsewhere, timed out, the run ended) is withdrawn.
 */
import { createInterface } from "node:readline/promises";
import { answerApproval, ChatApiError, type ApprovalDecision, type ApprovalRequestEvent, type ChatEvent, type ClientOptions } from "../../client/src";

export type ApproveMode = "all" | "none" | "ask" | "print";

export interface ApproverOptions {
  mode: ApproveMode;
  chatId: string;
  client: ClientOptions;
  /** Lines for the transcript (stdout, through the printer). */
  say: (text: string) => void;
  /** The terminal the question goes to (default stdin / stderr). */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Ctrl+C at the question (the terminal is in raw mode then: no SIGINT reaches the process). */
  onInterrupt?: () => void;
}

/** The decision a typed answer stands for: y/yes approves; empty, n/no deny; anything else denies with it as the reason. */
export function decisionOf(answer: string): ApprovalDecision {
  const text = answer.trim();
  if (/^(y|yes)$/i.test(text)) return { approve: true };
  if (/^(n|no)?$/i.test(text)) return { approve: false };
  return { approve: false, reason: text.slice(0, 1000) };
}

/** What the CLI prints for a call left waiting: a curl that approves it, and the body that denies it. */
export function curlHint(baseUrl: string, chatId: string, approvalId: string, withKey: boolean): string[] {
  const url = `${baseUrl.replace(/\/+$/, "")}/api/chat/${encodeURIComponent(chatId)}/approvals/${approvalId}`;
  const key = withKey ? ` -H "Authorization: Bearer $CHATAPI_KEY"` : "";
  return [
    `    waiting; to approve: curl -X POST ${url} -H 'Content-Type: application/json'${key} -d '{"approve": true}'`,
    `    to deny: the same with -d '{"approve": false, "reason": "…"}'`,
  ];
}

export class Approver {
  /** Waiting MCP steps by message_id: whether an approval request was matched to each. */
  private readonly pendingSteps = new Map<string, { server: string; tool: string; matched?: string }>();
  /** Open questions by approval id, to withdraw when their call stops waiting. */
  private readonly open = new Map<string, AbortController>();
  /** One question at a time, in the order the requests came. */
  private queue: Promise<void> = Promise.resolve();
  private readonly tasks = new Set<Promise<void>>();

  constructor(private readonly options: ApproverOptions) {}

  /** Every event of the run, in order (before it is printed is fine: nothing here prints synchronously but the hint). */
  see(event: ChatEvent): void {
    if (event.type === "step") {
      const { step } = event;
      if (step.tool_type !== "MCP") return;
      if (step.tool_status === "Start") {
        const p = parse(step.parameters);
        if (p?.approval === "pending") this.pendingSteps.set(step.message_id, { server: String(p.server ?? ""), tool: String(p.server_tool ?? p.tool ?? "") });
        return;
      }
      const ended = this.pendingSteps.get(step.message_id);
      this.pendingSteps.delete(step.message_id);
      if (ended?.matched) this.open.get(ended.matched)?.abort();
    } else if (event.type === "approval_request") {
      const waiting = [...this.pendingSteps.values()].reverse().find((s) => !s.matched && s.server === event.server && s.tool === event.tool);
      if (waiting) waiting.matched = event.approval_id;
      this.handle(event);
    } else if (event.type === "done" || event.type === "error") {
      this.close();
    }
  }

  /** Withdraws every open question (the run ended); the answers already on their way are awaited by `settled`. */
  close(): void {
    for (const controller of this.open.values()) controller.abort();
  }

  /** Resolves once every answer sent has been taken (or refused). */
  async settled(): Promise<void> {
    this.close();
    await Promise.all([...this.tasks]);
  }

  private handle(event: ApprovalRequestEvent): void {
    const { mode, say, chatId, client } = this.options;
    if (mode === "print") {
      for (const line of curlHint(client.baseUrl, chatId, event.approval_id, Boolean(client.apiKey))) say(line);
      return;
    }
    const controller = new AbortController();
    this.open.set(event.approval_id, controller);
    const task = (async () => {
      let decision: ApprovalDecision | undefined;
      if (mode === "all") decision = { approve: true };
      else if (mode === "none") decision = { approve: false, reason: "denied with --approve none" };
      else {
        // Each question after the one before it is answered (or withdrawn).
        const turn = this.queue.then(() => this.ask(event, controller.signal));
        this.queue = turn.then(() => undefined, () => undefined);
        decision = await turn;
      }
      this.open.delete(event.approval_id);
      if (!decision) return;
      try {
        await answerApproval(chatId, event.approval_id, decision, client);
        say(`    ${decision.approve ? "approved" : `denied${decision.reason ? `: ${decision.reason}` : ""}`}`);
      } catch (error) {
        if (error instanceof ChatApiError && error.status === 404) say("    no longer waiting (answered already, or timed out)");
        else say(`    could not answer: ${(error as Error).message}`);
      }
    })();
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /** The question on the terminal; undefined when it was withdrawn first. */
  private async ask(event: ApprovalRequestEvent, signal: AbortSignal): Promise<ApprovalDecision | undefined> {
    if (signal.aborted) return undefined;
    const output = this.options.output ?? process.stderr;
    const rl = createInterface({ input: this.options.input ?? process.stdin, output, terminal: true });
    rl.on("SIGINT", () => this.options.onInterrupt?.());
    const name = event.server ? `${event.server}/${event.tool}` : event.tool;
    try {
      return decisionOf(await rl.question(`Approve ${name} ${clip(JSON.stringify(event.arguments ?? {}), 300)}? [y/N/reason] `, { signal }));
    } catch (error) {
      if (signal.aborted) {
        output.write("\n(no longer waiting)\n");
        return undefined;
      }
      throw error;
    } finally {
      rl.close();
    }
  }
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
