// One exchange on the page: the user's message, the steps as a timeline, the streamed answer
// (Markdown, page/markdown.js), and, in the timeline entry of a tool call that waits for a person,
// Approve / Deny buttons. Each step reads as a sentence (the server's present_content, its status,
// how long it took); its raw parameters and result are folded away under "Details".
import { markdownView } from "./markdown.js";

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Pretty JSON when it is JSON, the text as it is otherwise. */
function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A labelled block of a step's details: its parameters or its result. */
function detailPart(labelKey, text) {
  const label = el("p", "detail-label");
  label.dataset.i18n = labelKey;
  return [label, el("pre", "", pretty(text))];
}

const ms = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`);

const RUNNING = new Set(["waiting", "streaming"]);

/** How a tool call that waited for approval ended without running: denied, or unanswered in time. */
function declined(step) {
  if (step.tool_type !== "MCP" || step.tool_status !== "Error") return undefined;
  const approval = parseJson(step.parameters)?.approval;
  return approval === "denied" || approval === "timed_out" ? approval : undefined;
}

/** The code of the `error` event that ends every reader's stream of a stopped run. */
export const STOPPED_CODE = 499;

export class Turn {
  /**
   * @param {HTMLElement} log
   * @param {{ text: string, images: { name: string, dataUrl?: string }[], lang: "zh" | "en" }} message
   *   what the user sent (an image as a data: or blob: URL), and in which language
   * @param {() => any} texts the current UI texts
   * @param {() => "zh" | "en"} uiLang the current UI language
   * @param {(approvalId: string, decision: { approve: boolean, reason?: string }) => Promise<unknown>} [answer]
   *   sends the answer to a tool call that waits for approval (rejects with the client's ChatApiError)
   */
  constructor(log, message, texts, uiLang, answer) {
    this.texts = texts;
    this.uiLang = uiLang;
    this.answerApproval = answer;
    /**
     * The approvals this page answered, by approval id: a replay (after a reload) shows their
     * decision instead of the buttons again, even while the approved call still runs.
     * @type {Map<string, { messageId: string, server: string, tool: string, approve: boolean, reason?: string }>}
     */
    this.decisions = new Map();
    this.message = message;
    this.t0 = performance.now();
    /**
     * @type {Map<string, { node: HTMLElement, step: any, seenAt: number, live: boolean,
     *   approval?: { id: string, server: string, tool: string, state: "pending" | "sending" | "answered" | "gone" | "failed" | "closed", box: HTMLElement, detail?: string } }>}
     */
    this.steps = new Map();
    this.answer = "";
    /** Events of this page session arrive live; a replay (after a reload) comes in a burst. */
    this.replaying = false;

    this.root = el("article", "turn");
    const user = el("section", "user-msg");
    const who = el("div", "who");
    who.dataset.i18n = "you";
    user.append(who);
    if (message.text) user.append(el("p", "user-text", message.text));
    if (message.images.length) {
      const thumbs = el("div", "user-images");
      for (const image of message.images) {
        if (image.dataUrl) {
          const img = el("img");
          img.src = image.dataUrl;
          img.alt = image.name;
          thumbs.append(img);
        } else {
          // Its bytes could not be fetched from the service.
          const missing = el("span", "image-missing", image.name);
          missing.dataset.i18nTitle = "imageMissing";
          thumbs.append(missing);
        }
      }
      user.append(thumbs);
    }
    this.langNote = el("p", "turn-note lang-note");

    this.stepsTitle = el("h3", "section-title steps-title");
    this.stepsTitle.dataset.i18n = "steps";
    // On a narrow screen the finished steps fold into this one line; a click unfolds them.
    this.summary = el("button", "steps-summary");
    this.summary.type = "button";
    this.summary.setAttribute("aria-expanded", "false");
    this.summary.addEventListener("click", () => {
      const open = this.root.dataset.stepsOpen !== "true";
      this.root.dataset.stepsOpen = String(open);
      this.summary.setAttribute("aria-expanded", String(open));
      this.relabel();
    });
    this.timeline = el("ol", "timeline");
    this.answerNode = el("div", "answer");
    // Read out politely as it grows, and focusable, so a keyboard user can be taken to it.
    this.answerNode.setAttribute("aria-live", "polite");
    this.answerNode.tabIndex = -1;
    this.markdown = markdownView(this.answerNode);
    this.statusNode = el("div", "turn-status");
    this.metaNode = el("div", "turn-meta");
    // What went wrong in the page's words; the server's own message (for whoever runs it) folded below.
    this.errorNode = el("div", "turn-error");
    this.errorNode.setAttribute("role", "alert");
    this.errorNode.hidden = true;
    this.errorText = el("p", "error-text");
    this.errorDetail = el("details", "error-detail");
    const errorSummary = el("summary");
    errorSummary.dataset.i18n = "errorDetails";
    this.errorDetail.append(errorSummary, el("code", "error-message"));
    this.errorNode.append(this.errorText, this.errorDetail);

    const answerTitle = el("h3", "section-title answer-title");
    answerTitle.dataset.i18n = "answer";
    this.root.append(user, this.langNote, this.stepsTitle, this.summary, this.timeline, answerTitle, this.answerNode, this.errorNode, this.statusNode, this.metaNode);
    log.append(this.root);

    this.setState("waiting");
    this.timer = setInterval(() => this.draw(), 100);
    this.relabel();
  }

  /**
   * A turn as the service keeps it, shown as it ended: `saved` holds the user's message, the run's
   * request id, state, steps, answer, usage, error and durations, and the approvals this browser answered.
   */
  static restore(log, saved, texts, uiLang, answer) {
    const turn = new Turn(log, saved.message, texts, uiLang, answer);
    turn.requestId = saved.requestId;
    turn.stopMessage = saved.stopMessage;
    turn.replaying = true;
    for (const [id, decision] of saved.decisions ?? []) turn.decisions.set(id, decision);
    for (const step of saved.steps ?? []) turn.step(step);
    for (const [id, decision] of turn.decisions) {
      const entry = turn.steps.get(decision.messageId);
      if (entry && !entry.approval) turn.showApproval(entry, { approval_id: id, server: decision.server, tool: decision.tool }, "answered");
    }
    turn.setAnswer(saved.answer ?? "");
    turn.usage = saved.usage;
    turn.serverElapsed = saved.serverElapsed;
    turn.elapsed = saved.elapsed;
    if (saved.error) {
      turn.error = saved.error;
      turn.errorNode.hidden = false;
    }
    turn.setState(saved.state);
    if (!RUNNING.has(saved.state)) turn.end(saved.elapsed);
    turn.relabel();
    return turn;
  }

  get running() {
    return RUNNING.has(this.state);
  }

  /** streaming | waiting | done | error | stopped */
  setState(state) {
    this.state = state;
    this.root.dataset.state = state;
    if (!RUNNING.has(state)) this.reconnect = undefined;
    this.relabelStatus();
  }

  /** Forgets what was shown, to rebuild it from a replay of the whole run (after a reload). */
  reset() {
    this.steps.clear();
    this.stopMessage = undefined;
    this.timeline.replaceChildren();
    this.setAnswer("");
    this.usage = undefined;
    this.error = undefined;
    this.errorNode.hidden = true;
    this.replaying = true;
    this.setState("waiting");
  }

  /** The connection dropped; the client is about to pick the run up again. */
  reconnecting(info) {
    this.reconnect = info;
    this.relabelStatus();
  }

  /** One event of the stream. */
  event(e) {
    if (this.reconnect) {
      this.reconnect = undefined;
      this.relabelStatus();
    }
    if (e.requestId) this.requestId = e.requestId;
    if (e.type === "step") this.step(e.step);
    else if (e.type === "approval_request") this.approvalRequest(e);
    else if (e.type === "delta") {
      this.setAnswer(this.answer + e.text);
      if (this.state === "waiting") this.setState("streaming");
    } else if (e.type === "done" || e.type === "error") {
      this.finish(e);
    }
  }

  /** The answer so far, rendered as Markdown (at most once a frame while it streams). */
  setAnswer(text) {
    this.answer = text;
    this.markdown.set(text);
  }

  step(step) {
    if (this.state === "waiting") this.setState("streaming");
    let entry = this.steps.get(step.message_id);
    if (!entry) {
      const node = el("li", "step");
      node.dataset.tool = step.tool_type;
      // One line a person reads: what it did, its outcome, how long it took.
      const head = el("div", "step-head");
      head.append(el("span", "step-content"), el("span", "step-status"), el("span", "step-duration"));
      const track = el("div", "step-track");
      track.setAttribute("aria-hidden", "true");
      track.append(el("div", "step-bar"));
      // The raw parameters and result, folded until asked for.
      const detail = el("details", "step-detail");
      const summary = el("summary");
      summary.dataset.i18n = "stepDetails";
      detail.append(summary, el("div", "step-detail-body"));
      node.append(head, track, detail);
      this.timeline.append(node);
      entry = { node, step, seenAt: performance.now(), live: !this.replaying };
      this.steps.set(step.message_id, entry);
    }
    entry.step = step;
    const { node } = entry;
    node.dataset.status = this.shownStatus(step);
    node.querySelector(".step-content").textContent = step.present_content;
    const parts = [];
    if (step.parameters && step.parameters !== "{}") parts.push(...detailPart("parameters", step.parameters));
    if (step.observation) parts.push(...detailPart("observation", step.observation));
    node.querySelector(".step-detail-body").replaceChildren(...parts);
    node.querySelector(".step-detail").hidden = parts.length === 0;
    node.querySelector(".step-status").textContent = this.badge(step);
    // Its call no longer waits (it ran, was denied, timed out, or the run ended): no more buttons.
    if (entry.approval && step.tool_status !== "Start") this.closeApproval(entry);
    this.relabel(node);
    this.refreshSteps();
    this.draw();
  }

  /**
   * An `approval_request`: its call's timeline entry (the MCP step that just started with
   * `"approval":"pending"`, same server and tool, not yet given a request) gets Approve / Deny
   * buttons and a reason field, unless this page answered it already (a replay after a reload).
   */
  approvalRequest(e) {
    const entry = [...this.steps.values()].reverse().find(({ step, approval }) => {
      if (approval || step.tool_type !== "MCP" || step.tool_status !== "Start") return false;
      const p = parseJson(step.parameters);
      return p?.approval === "pending" && (p.server ?? "") === e.server && (p.server_tool ?? p.tool) === e.tool;
    });
    if (!entry) return;
    this.showApproval(entry, e, this.decisions.has(e.approval_id) ? "answered" : "pending");
  }

  /** The approval part of a timeline entry: the question, a reason, the two buttons, a note. */
  showApproval(entry, e, state) {
    const box = el("div", "approval");
    box.setAttribute("role", "group");
    const question = el("span", "approval-question");
    const reasonLabel = el("label", "approval-reason");
    const reasonText = el("span");
    reasonText.dataset.i18n = "approvalReason";
    const reason = el("input");
    reason.type = "text";
    reason.maxLength = 1000;
    reason.dataset.i18nPlaceholder = "approvalReasonHint";
    reasonLabel.append(reasonText, reason);
    const approve = el("button", "primary approval-approve");
    approve.type = "button";
    approve.dataset.i18n = "approve";
    const deny = el("button", "danger approval-deny");
    deny.type = "button";
    deny.dataset.i18n = "deny";
    const note = el("span", "approval-note");
    note.setAttribute("role", "status");
    // Where the keyboard goes once the buttons are gone: the decision, read out.
    note.tabIndex = -1;
    const controls = el("div", "approval-controls");
    controls.append(reasonLabel, approve, deny);
    box.append(question, controls, note);
    const approval = { id: e.approval_id, server: e.server, tool: e.tool, state, box };
    entry.approval = approval;
    approve.addEventListener("click", () => void this.decide(entry, { approve: true }));
    deny.addEventListener("click", () => {
      const why = reason.value.trim();
      void this.decide(entry, why ? { approve: false, reason: why } : { approve: false });
    });
    // Between the step's line and its folded details.
    entry.node.querySelector(".step-track").after(box);
    this.relabelApproval(entry);
  }

  /** Sends the answer; the buttons stay disabled while it goes, and go once it is taken. */
  async decide(entry, decision) {
    const approval = entry.approval;
    if (!approval || (approval.state !== "pending" && approval.state !== "failed") || !this.answerApproval) return;
    approval.state = "sending";
    this.relabelApproval(entry);
    try {
      await this.answerApproval(approval.id, decision);
      this.decisions.set(approval.id, { messageId: entry.step.message_id, server: approval.server, tool: approval.tool, ...decision });
      approval.state = "answered";
    } catch (error) {
      // 404: answered elsewhere (another tab, the CLI), or timed out just now.
      if (error?.status === 404) approval.state = "gone";
      else {
        approval.state = "failed";
        approval.detail = error instanceof Error ? error.message : String(error);
      }
    }
    if (entry.approval === approval) {
      if (entry.step.tool_status !== "Start" && approval.state === "failed") approval.state = "gone";
      const hadFocus = approval.box.contains(document.activeElement) || document.activeElement === document.body;
      this.relabelApproval(entry);
      if (hadFocus) {
        // Failed: back to the button pressed, to try again; otherwise to the decision.
        const target = approval.state === "failed" ? approval.box.querySelector(decision.approve ? ".approval-approve" : ".approval-deny") : approval.box.querySelector(".approval-note");
        target?.focus();
      }
      this.onChange?.();
    }
  }

  /** The step's call no longer waits: its buttons go; a decision this page sent stays shown. */
  closeApproval(entry) {
    const approval = entry.approval;
    if (!approval) return;
    if (approval.state === "pending" || approval.state === "failed" || approval.state === "gone") {
      approval.box.remove();
      approval.state = "closed";
      delete entry.node.dataset.approval;
      return;
    }
    this.relabelApproval(entry);
  }

  relabelApproval(entry) {
    const approval = entry.approval;
    if (!approval || approval.state === "closed") return;
    const t = this.texts();
    const { box, state } = approval;
    const decision = this.decisions.get(approval.id);
    const open = state === "pending" || state === "failed" || state === "sending";
    entry.node.dataset.approval = state === "answered" ? (decision?.approve ? "approved" : "denied") : state;
    const name = approval.server ? `${approval.server}/${approval.tool}` : approval.tool;
    box.querySelector(".approval-question").textContent = open ? t.approvalAsk(name) : "";
    box.setAttribute("aria-label", t.approvalAsk(name));
    box.querySelector(".approval-controls").hidden = !open;
    for (const button of box.querySelectorAll("button")) button.disabled = state === "sending";
    box.querySelector("input").disabled = state === "sending";
    const note = box.querySelector(".approval-note");
    note.textContent =
      state === "sending" ? t.approvalSending
      : state === "answered" ? (decision?.approve ? t.approved : t.denied(decision?.reason))
      : state === "gone" ? t.approvalGone
      : state === "failed" ? t.approvalFailed(approval.detail ?? "")
      : "";
    for (const node of box.querySelectorAll("[data-i18n]")) node.textContent = t[node.dataset.i18n];
    for (const node of box.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t[node.dataset.i18nPlaceholder];
  }

  /**
   * The duration bars: the server's `execution_duration` of each finished step, to the scale of
   * the longest (the System step's, once the request is over). Nothing measured in the browser
   * goes into a bar: arrival times say more about the network than about the step. A step still
   * running shows a moving bar and, if this page saw it start, the time since then.
   */
  draw() {
    const now = performance.now();
    let scale = 1;
    for (const e of this.steps.values()) if (e.step.execution_duration !== undefined) scale = Math.max(scale, e.step.execution_duration);
    for (const e of this.steps.values()) {
      const duration = e.step.execution_duration;
      const bar = e.node.querySelector(".step-bar");
      const text = e.node.querySelector(".step-duration");
      const runningStep = duration === undefined && this.running;
      e.node.dataset.running = String(runningStep);
      e.node.dataset.duration = duration === undefined ? "" : String(duration);
      if (duration !== undefined) {
        bar.style.width = `${Math.max((duration / scale) * 100, 0.8).toFixed(2)}%`;
        text.textContent = ms(duration);
      } else if (runningStep) {
        bar.style.width = "";
        text.textContent = e.live ? `${ms(now - e.seenAt)}…` : "…";
      } else {
        bar.style.width = "0%";
        text.textContent = "";
      }
    }
    if (!this.running) clearInterval(this.timer);
  }

  /** The terminal event (done or error). */
  finish(envelope) {
    const system = envelope.data.steps.find((s) => s.tool_type === "System");
    if (system?.execution_duration !== undefined) this.serverElapsed = system.execution_duration;
    if (envelope.type === "error" && envelope.code === STOPPED_CODE) this.stopMessage = envelope.message;
    for (const step of envelope.data.steps) this.step(step);
    if (envelope.data.answer !== undefined && envelope.data.answer !== this.answer) this.setAnswer(envelope.data.answer);
    this.markdown.flush();
    this.requestId = envelope.requestId;
    this.usage = envelope.data.usage;
    if (this.stopMessage !== undefined) this.stopped();
    else if (envelope.type === "error") this.showError(envelope.code, envelope.message);
    else {
      this.setState("done");
      this.end();
    }
  }

  /** A refusal before the stream (a ChatApiError) or an error event. */
  showError(code, message, requestId) {
    this.error = { code, message };
    if (requestId) this.requestId = requestId;
    this.setState("error");
    this.errorNode.hidden = false;
    this.end();
  }

  /** A failure told in the page's own words: a key of the texts and its argument. */
  fail(key, detail) {
    this.error = { key, detail };
    this.setState("error");
    this.errorNode.hidden = false;
    this.end();
  }

  networkError(message) {
    this.fail("networkError", message);
  }

  stopped() {
    this.setState("stopped");
    this.end();
  }

  end(elapsed) {
    this.markdown.flush();
    for (const entry of this.steps.values()) if (entry.approval?.state === "pending" || entry.approval?.state === "failed") this.closeApproval(entry);
    this.elapsed = elapsed ?? this.elapsed ?? performance.now() - this.t0;
    this.draw();
    this.relabel();
  }

  /**
   * The status a step is shown with: its own, except for the steps the stop ended, which the
   * server closes as errors carrying the stop's message (the 499 event's): on the page they stay
   * as they were when the stop came, unfinished, not failed. Their observation still says why.
   */
  shownStatus(step) {
    if (this.stopMessage !== undefined && step.tool_status === "Error" && step.observation === this.stopMessage) return "Start";
    // A call the person declined (or left unanswered) did not fail: it was not run.
    if (declined(step)) return "Declined";
    return step.tool_status;
  }

  /** A step's badge; one still running when the exchange ended (stopped, failed) never finished. */
  badge(step) {
    const status = this.shownStatus(step);
    if (status === "Declined") return this.texts().status[declined(step) === "timed_out" ? "TimedOut" : "Declined"];
    return this.texts().status[status === "Start" && !this.running ? "Unfinished" : status];
  }

  relabelStatus() {
    const t = this.texts();
    if (this.reconnect) {
      this.statusNode.dataset.i18n = "";
      this.statusNode.textContent = t.reconnecting(this.reconnect.attempt);
      return;
    }
    const key = this.state === "error" ? "failed" : this.state === "waiting" && this.replaying ? "resuming" : this.state;
    this.statusNode.dataset.i18n = key;
    this.statusNode.textContent = t[key];
  }

  /** The summary line of the finished steps, and the note on the steps' language. */
  refreshSteps() {
    const t = this.texts();
    // Step texts come from the server in the language the message was sent in.
    const other = this.steps.size > 0 && this.message.lang !== this.uiLang();
    this.langNote.hidden = !other;
    this.langNote.textContent = other ? t.stepsInLang(this.message.lang) : "";
    const finished = [...this.steps.values()].filter((e) => this.shownStatus(e.step) !== "Start");
    const tools = [...this.steps.values()].filter((e) => e.step.tool_type === "MCP" && e.step.parameters.includes('"tool"')).length;
    this.root.dataset.finishedSteps = String(finished.length);
    this.summary.textContent = t.stepsSummary(finished.length, tools, this.root.dataset.stepsOpen === "true");
  }

  /** Re-applies the texts of the current language. */
  relabel(scope = this.root) {
    const t = this.texts();
    for (const node of scope.querySelectorAll("[data-i18n]")) if (node.dataset.i18n) node.textContent = t[node.dataset.i18n];
    for (const node of scope.querySelectorAll("[data-i18n-title]")) node.title = t[node.dataset.i18nTitle];
    if (scope !== this.root) return;
    for (const e of this.steps.values()) {
      e.node.dataset.status = this.shownStatus(e.step);
      e.node.querySelector(".step-status").textContent = this.badge(e.step);
      this.relabelApproval(e);
    }
    this.relabelStatus();
    if (this.error) {
      const { key, detail, code, message } = this.error;
      this.errorText.textContent = key ? t[key](detail) : t.errorCode(code);
      this.errorDetail.hidden = !!key || !message;
      this.errorDetail.querySelector(".error-message").textContent = key ? "" : (message ?? "");
    }
    this.refreshSteps();
    const meta = [];
    if (this.elapsed !== undefined && !this.running) meta.push(t.elapsed(((this.serverElapsed ?? this.elapsed) / 1000).toFixed(1)));
    if (this.usage) meta.push(t.usage(this.usage));
    if (this.requestId) meta.push(t.requestId(this.requestId));
    this.metaNode.textContent = meta.join(" · ");
  }
}
