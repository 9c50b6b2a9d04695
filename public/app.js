// The chat page: wires the composer, the settings and the language switch to the typed client.
import { ChatApiError, streamChat } from "./client.js";
import { applyTexts, texts } from "./i18n.js";
import { createAttachments } from "./attachments.js";
import { Turn } from "./timeline.js";

const $ = (selector) => document.querySelector(selector);
const store = {
  get: (key, fallback) => {
    try {
      return localStorage.getItem(`chatapi.${key}`) ?? fallback;
    } catch {
      return fallback;
    }
  },
  set: (key, value) => {
    try {
      localStorage.setItem(`chatapi.${key}`, value);
    } catch {
      /* private mode: keep it for this page only */
    }
  },
};

const ui = {
  log: $("#log"),
  form: $("#composer"),
  input: $("#message"),
  file: $("#file"),
  send: $("#send"),
  stop: $("#stop"),
  composerError: $("#composer-error"),
  apiKey: $("#api-key"),
  userId: $("#user-id"),
  newChat: $("#new-chat"),
  langButtons: document.querySelectorAll("[data-lang]"),
};

let lang = store.get("lang", "zh") === "en" ? "en" : "zh";
const t = () => texts[lang];
/** The conversation so far (completed exchanges), sent with each new message. */
let history = [];
/** @type {Turn[]} */
let turns = [];
/** @type {AbortController | undefined} */
let running;

const attachments = createAttachments($("#attachments"), t, showComposerError);

function showComposerError(message) {
  ui.composerError.textContent = message;
  ui.composerError.hidden = !message;
}

function setLang(next) {
  lang = next;
  store.set("lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t().title;
  applyTexts(document, t());
  for (const b of ui.langButtons) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  for (const turn of turns) turn.relabel();
}

function setBusy(busy) {
  document.body.dataset.busy = String(busy);
  ui.send.disabled = busy;
  ui.stop.disabled = !busy;
}

function userMessage(text, images) {
  if (images.length === 0) return { role: "user", content: text };
  const parts = text ? [{ type: "input_text", text }] : [];
  for (const image of images) parts.push({ type: "input_image", image_url: image.dataUrl });
  return { role: "user", content: parts };
}

async function send() {
  if (running) return;
  const text = ui.input.value.trim();
  const images = [...attachments.items];
  if (!text && images.length === 0) return showComposerError(t().empty);
  showComposerError("");
  ui.input.value = "";
  attachments.clear();

  const message = userMessage(text, images);
  const turn = new Turn(ui.log, { text, images }, t);
  turns.push(turn);
  $("#empty").hidden = true;
  turn.root.scrollIntoView({ block: "start", behavior: "smooth" });
  const controller = (running = new AbortController());
  setBusy(true);
  try {
    const request = { user_id: ui.userId.value.trim() || defaultUserId(), query: [...history, message] };
    const options = { baseUrl: "", apiKey: ui.apiKey.value.trim() || undefined, lang, signal: controller.signal };
    for await (const event of streamChat(request, options)) {
      const follow = nearBottom();
      turn.event(event);
      if (follow) window.scrollTo({ top: document.body.scrollHeight });
    }
    if (turn.state === "done") history = [...history, message, { role: "assistant", content: turn.answer }];
  } catch (error) {
    if (controller.signal.aborted) turn.stopped();
    else if (error instanceof ChatApiError) {
      for (const step of error.data.steps) turn.step(step);
      turn.showError(error.code, error.message, error.requestId);
    }
    else turn.networkError(error instanceof Error ? error.message : String(error));
  } finally {
    running = undefined;
    setBusy(false);
    ui.input.focus();
  }
}

function nearBottom() {
  return window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
}

function defaultUserId() {
  let id = store.get("userId", "");
  if (!id) {
    id = `web_${Math.random().toString(36).slice(2, 10)}`;
    store.set("userId", id);
  }
  return id;
}

ui.form.addEventListener("submit", (e) => {
  e.preventDefault();
  void send();
});
ui.input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    void send();
  }
});
ui.stop.addEventListener("click", () => running?.abort());
ui.file.addEventListener("change", () => {
  void attachments.add([...ui.file.files]);
  ui.file.value = "";
});
ui.input.addEventListener("paste", (e) => {
  const files = [...(e.clipboardData?.files ?? [])];
  if (files.length) {
    e.preventDefault();
    void attachments.add(files);
  }
});
ui.form.addEventListener("dragover", (e) => e.preventDefault());
ui.form.addEventListener("drop", (e) => {
  e.preventDefault();
  void attachments.add([...(e.dataTransfer?.files ?? [])]);
});
$("#settings-form").addEventListener("submit", (e) => e.preventDefault());
ui.apiKey.value = store.get("apiKey", "");
ui.apiKey.addEventListener("input", () => store.set("apiKey", ui.apiKey.value.trim()));
ui.userId.value = defaultUserId();
ui.userId.addEventListener("input", () => store.set("userId", ui.userId.value.trim()));
ui.newChat.addEventListener("click", () => {
  running?.abort();
  history = [];
  turns = [];
  ui.log.replaceChildren();
  $("#empty").hidden = false;
  showComposerError("");
  ui.input.focus();
});
for (const b of ui.langButtons) b.addEventListener("click", () => setLang(b.dataset.lang));

setLang(lang);
setBusy(false);
document.body.dataset.ready = "true";
