// One exchange on the page: the user's message, the steps as a timeline, the streamed answer.

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

/** Pretty JSON when it is JSON, the text as it is otherwise. */
function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function details(labelKey, text) {
  const box = el("details", "step-detail");
  const summary = el("summary");
  const label = el("span", "detail-label");
  label.dataset.i18n = labelKey;
  summary.append(label, el("code", "detail-preview", text.replace(/\s+/g, " ").slice(0, 160)));
  box.append(summary, el("pre", "", pretty(text)));
  return box;
}

const ms = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`);

export class Turn {
  /**
   * @param {HTMLElement} log
   * @param {{ text: string, images: { name: string, dataUrl: string }[] }} message
   * @param {() => any} texts
   */
  constructor(log, message, texts) {
    this.texts = texts;
    this.t0 = performance.now();
    /** @type {Map<string, { node: HTMLElement, at: number, duration?: number, step: any }>} */
    this.steps = new Map();
    this.answer = "";

    this.root = el("article", "turn");
    const user = el("section", "user-msg");
    const who = el("div", "who");
    who.dataset.i18n = "you";
    user.append(who);
    if (message.text) user.append(el("p", "user-text", message.text));
    if (message.images.length) {
      const thumbs = el("div", "user-images");
      for (const image of message.images) {
        const img = el("img");
        img.src = image.dataUrl;
        img.alt = image.name;
        thumbs.append(img);
      }
      user.append(thumbs);
    }

    this.timeline = el("ol", "timeline");
    this.answerNode = el("div", "answer");
    this.answerNode.setAttribute("aria-live", "polite");
    this.statusNode = el("div", "turn-status");
    this.metaNode = el("div", "turn-meta");
    this.errorNode = el("div", "turn-error");
    this.errorNode.setAttribute("role", "alert");
    this.errorNode.hidden = true;

    const stepsTitle = el("h3", "section-title steps-title");
    stepsTitle.dataset.i18n = "steps";
    const answerTitle = el("h3", "section-title answer-title");
    answerTitle.dataset.i18n = "answer";
    this.root.append(user, stepsTitle, this.timeline, answerTitle, this.answerNode, this.errorNode, this.statusNode, this.metaNode);
    log.append(this.root);

    this.setState("waiting");
    this.timer = setInterval(() => this.draw(), 100);
    this.relabel();
  }

  /** streaming | waiting | done | error | stopped */
  setState(state) {
    this.state = state;
    this.root.dataset.state = state;
    this.statusNode.dataset.i18n = state === "error" ? "failed" : state;
    this.statusNode.textContent = this.texts()[this.statusNode.dataset.i18n];
  }

  /** One event of the stream. */
  event(e) {
    if (e.requestId) this.requestId = e.requestId;
    if (e.type === "step") this.step(e.step);
    else if (e.type === "delta") {
      this.answer += e.text;
      this.answerNode.textContent = this.answer;
      if (this.state === "waiting") this.setState("streaming");
    } else if (e.type === "done" || e.type === "error") {
      this.finish(e);
    }
  }

  step(step) {
    if (this.state === "waiting") this.setState("streaming");
    let entry = this.steps.get(step.message_id);
    if (!entry) {
      const node = el("li", "step");
      node.dataset.tool = step.tool_type;
      const head = el("div", "step-head");
      head.append(el("span", "step-status"), el("span", "step-tool", step.tool_type), el("span", "step-content"), el("span", "step-duration"));
      const track = el("div", "step-track");
      track.append(el("div", "step-bar"));
      node.append(head, track);
      this.timeline.append(node);
      entry = { node, at: performance.now() - this.t0, step };
      this.steps.set(step.message_id, entry);
    }
    entry.step = step;
    const { node } = entry;
    node.dataset.status = step.tool_status;
    node.querySelector(".step-content").textContent = step.present_content;
    node.querySelector(".step-status").textContent = this.badge(step);
    if (step.execution_duration !== undefined) entry.duration = step.execution_duration;
    node.querySelectorAll(".step-detail").forEach((d) => d.remove());
    if (step.parameters && step.parameters !== "{}") node.append(details("parameters", step.parameters));
    if (step.observation) node.append(details("observation", step.observation));
    this.relabel(node);
    this.draw();
  }

  /** The duration bars: each step placed on the request's time axis. */
  draw() {
    const now = performance.now() - this.t0;
    const running = this.state === "waiting" || this.state === "streaming";
    let end = running ? now : 0;
    for (const e of this.steps.values()) end = Math.max(end, e.at + (e.duration ?? (running ? now - e.at : 0)));
    const scale = Math.max(end, 1);
    for (const e of this.steps.values()) {
      const length = e.duration ?? (running ? now - e.at : 0);
      const bar = e.node.querySelector(".step-bar");
      bar.style.left = `${((e.at / scale) * 100).toFixed(2)}%`;
      bar.style.width = `${Math.max((length / scale) * 100, 0.8).toFixed(2)}%`;
      e.node.querySelector(".step-duration").textContent = e.duration !== undefined ? ms(e.duration) : running ? `${ms(length)}…` : "";
    }
    if (!running) clearInterval(this.timer);
  }

  /** The terminal event (done or error). */
  finish(envelope) {
    for (const step of envelope.data.steps) this.step(step);
    if (envelope.data.answer !== undefined && envelope.data.answer !== this.answer) {
      this.answer = envelope.data.answer;
      this.answerNode.textContent = this.answer;
    }
    this.requestId = envelope.requestId;
    this.usage = envelope.data.usage;
    if (envelope.type === "error") this.showError(envelope.code, envelope.message);
    else this.setState("done");
    this.end();
  }

  /** A refusal before the stream (a ChatApiError) or an error event. */
  showError(code, message, requestId) {
    this.error = { code, message };
    if (requestId) this.requestId = requestId;
    this.setState("error");
    this.errorNode.hidden = false;
    this.errorNode.textContent = this.texts().errorCode(code, message);
    this.end();
  }

  networkError(message) {
    this.error = { message, network: true };
    this.setState("error");
    this.errorNode.hidden = false;
    this.errorNode.textContent = this.texts().networkError(message);
    this.end();
  }

  stopped() {
    this.setState("stopped");
    this.end();
  }

  end() {
    this.elapsed = performance.now() - this.t0;
    this.draw();
    this.relabel();
  }

  /** A step's status; one still running when the exchange ended (stopped, failed) never finished. */
  badge(step) {
    const running = this.state === "waiting" || this.state === "streaming";
    return this.texts().status[step.tool_status === "Start" && !running ? "Unfinished" : step.tool_status];
  }

  /** Re-applies the texts of the current language. */
  relabel(scope = this.root) {
    const t = this.texts();
    for (const node of scope.querySelectorAll("[data-i18n]")) node.textContent = t[node.dataset.i18n];
    for (const e of this.steps.values()) e.node.querySelector(".step-status").textContent = this.badge(e.step);
    if (this.error) this.errorNode.textContent = this.error.network ? t.networkError(this.error.message) : t.errorCode(this.error.code, this.error.message);
    const meta = [];
    if (this.elapsed !== undefined && this.state !== "streaming" && this.state !== "waiting") meta.push(t.elapsed((this.elapsed / 1000).toFixed(1)));
    if (this.usage) meta.push(t.usage(this.usage));
    if (this.requestId) meta.push(t.requestId(this.requestId));
    this.metaNode.textContent = meta.join(" · ");
  }
}
