// The chat page: wires the composer, the settings and the language switch to the typed client.
//
// A conversation has a chat_id, so each of its answers runs as a resumable chat on the server: a
// dropped connection is picked up again by the client (after the last event it had), and the
// conversation is kept in localStorage, so a reload mid-answer reads that answer again from its
// start (GET /api/chat/{chat_id}/stream?after=0) and rebuilds it. Stop asks the server to stop
// the run (POST /api/chat/{chat_id}/stop). Images travel once, with the message they belong to;
// the history of earlier exchanges is sent as text. A tool call that waits for approval shows
// Approve / Deny in its timeline entry, answered with POST /api/chat/{chat_id}/approvals/{id}; a
// reload replays the run, so a call still waiting shows its buttons again.
import { ChatApiError, answerApproval, resumeChat, stopChat, streamChat } from "../client/src/index";
import { applyTexts, texts } from "./i18n.js";
import { createAttachments } from "./attachments.js";
import { Turn } from "./timeline.js";

/** After Stop, how long the page waits for the server to end the stream before it cuts it itself. */
const STOP_GRACE_MS = 5000;

const $ = (selector) => document.querySelector(selector);
const store = {
  get: (key, fallback) => {
    try {
      return localStorage.getItem(`chatapi.${key}`) ?? fallback;
    } catch {
      return fallback;
    }
  },
  /** false when it could not be kept (private mode, or the storage is full). */
  set: (key, value) => {
    try {
      localStorage.setItem(`chatapi.${key}`, value);
      return true;
    } catch {
      return false;
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
const uiLang = () => lang;
/** The conversation's chat_id: every answer in it runs as a resumable chat under this id. */
let chatId = newChatId();
/** @type {Turn[]} */
let turns = [];
/**
 * The exchange in progress.
 * @type {{ turn: Turn, controller: AbortController, started: boolean, stopAsked: boolean, stopSent?: boolean, stopTimer?: number } | undefined}
 */
let running;

const attachments = createAttachments($("#attachments"), t, showComposerError);

/** 1–128 of A-Z a-z 0-9 _ - (the server's rule); random, so two conversations never share one. */
function newChatId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `web_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Follows the answer as it grows while the reader is at (or near) the bottom of the page; once
 * they scroll up to read, the view stays where they put it until they come back down.
 */
const follow = (() => {
  let stick = true;
  let frame = 0;
  const nearBottom = () => window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 80;
  // Growing content fires no scroll event: only the reader (or our own scrolling) does.
  window.addEventListener("scroll", () => (stick = nearBottom()), { passive: true });
  return {
    /** Stick to the bottom from now on (a new message was sent). */
    stick() {
      stick = true;
      this.update();
    },
    /** After the page grew: back to the bottom, if that is where the reader is. */
    update() {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (stick) window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "instant" });
      });
    },
  };
})();

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
  attachments.relabel();
  showComposerError("");
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

/** The finished exchanges as text: an image is sent once, with its own message, never again. */
function history() {
  const messages = [];
  for (const turn of turns) {
    if (turn.state !== "done") continue;
    const { text, images } = turn.message;
    messages.push({ role: "user", content: [text, images.length ? t().historyImages(images.length) : ""].filter(Boolean).join("\n") });
    messages.push({ role: "assistant", content: turn.answer });
  }
  return messages;
}

/** Keeps the conversation in localStorage (without the pictures when they don't fit). */
function save() {
  const conversation = { chatId, turns: turns.map((turn) => turn.snapshot()) };
  if (store.set("conversation", JSON.stringify(conversation))) return;
  for (const saved of conversation.turns) saved.message = { ...saved.message, images: saved.message.images.map(({ name }) => ({ name })) };
  store.set("conversation", JSON.stringify(conversation));
}

function requestOptions(signal, turn) {
  return {
    baseUrl: "",
    apiKey: ui.apiKey.value.trim() || undefined,
    lang,
    signal,
    reconnect: {
      onReconnect: (info) => {
        turn.reconnecting(info);
        follow.update();
      },
    },
  };
}

/** A replay the page must not show: the key of the texts that say why. */
class Refused extends Error {
  constructor(key) {
    super(key);
    this.key = key;
  }
}

/**
 * Shows a run's events in `turn` as they arrive. `check` sees the first event (and may refuse
 * the run by throwing `Refused`); `gone` is the text key for a 204 (nothing to resume).
 */
async function drive(turn, open, { check, gone = "resumeGone" } = {}) {
  const controller = new AbortController();
  const run = (running = { turn, controller, started: false, stopAsked: false });
  setBusy(true);
  try {
    for await (const event of open(requestOptions(controller.signal, turn))) {
      if (!run.started) {
        run.started = true;
        check?.(event);
        if (run.stopAsked) void sendStop(run);
      }
      const known = turn.requestId;
      turn.event(event);
      // Saved as soon as known: after a reload, the page tells this run from the chat's others.
      if (turn.requestId !== known) save();
      follow.update();
    }
  } catch (error) {
    if (controller.signal.aborted) turn.stopped();
    else if (error instanceof Refused) turn.fail(error.key);
    else if (error instanceof ChatApiError && error.status === 204) turn.fail(gone);
    else if (error instanceof ChatApiError) {
      for (const step of error.data.steps) turn.step(step);
      turn.showError(error.code, error.message, error.requestId);
      // A key is needed (or the one given is wrong): the settings open where it goes.
      if (error.code === 401) $(".settings").open = true;
    } else turn.networkError(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(run.stopTimer);
    if (running === run) running = undefined;
    setBusy(false);
    save();
    follow.update();
  }
}

async function send() {
  if (running) return;
  const text = ui.input.value.trim();
  const images = [...attachments.items];
  if (!text && images.length === 0) return showComposerError(t().empty);
  showComposerError("");
  ui.input.value = "";
  attachments.clear();
  // The Send button is disabled while the answer comes: the keyboard stays in the message box.
  ui.input.focus();

  const past = history();
  const droppedImages = turns.filter((turn) => turn.state === "done").reduce((n, turn) => n + turn.message.images.length, 0);
  const turn = newTurn((answer) => new Turn(ui.log, { text, images: images.map(({ name, dataUrl }) => ({ name, dataUrl })), lang, droppedImages }, t, uiLang, answer));
  turns.push(turn);
  $("#empty").hidden = true;
  save();
  follow.stick();
  const request = { user_id: ui.userId.value.trim() || defaultUserId(), chat_id: chatId, query: [...past, userMessage(text, images)] };
  await drive(turn, (options) => streamChat(request, options));
  // Back to the message box, unless the reader has moved on (to a link in the answer, say).
  if (document.activeElement === document.body || document.activeElement === null) ui.input.focus();
}

/**
 * After a reload: the last exchange was still running, so its run is read again from its start
 * and the exchange rebuilt. The first event tells whether it is that run: the one whose id was
 * saved, or, when the page went away before any event came, not the previous exchange's run.
 */
async function resume(turn, previousRunId) {
  const runId = turn.requestId;
  turn.reset();
  follow.stick();
  await drive(turn, (options) => resumeChat(chatId, { ...options, after: 0 }), {
    gone: runId ? "resumeGone" : "notSent",
    check: (first) => {
      if (runId ? first.requestId !== runId : first.requestId === previousRunId) throw new Refused(runId ? "otherRun" : "notSent");
    },
  });
}

/** Stop: the server stops the run, and every reader's stream (this one too) ends with a 499. */
function stop() {
  const run = running;
  if (!run || run.stopAsked) return;
  run.stopAsked = true;
  // The Stop button is disabled now: the keyboard goes back to the message box.
  if (document.activeElement === ui.stop) ui.input.focus();
  ui.stop.disabled = true;
  // Before the first event the run may not exist yet: the stop goes out when it does.
  if (run.started) void sendStop(run);
  run.stopTimer = setTimeout(() => run.controller.abort(), STOP_GRACE_MS);
}

async function sendStop(run) {
  if (run.stopSent) return;
  run.stopSent = true;
  try {
    await stopChat(chatId, { baseUrl: "", apiKey: ui.apiKey.value.trim() || undefined });
  } catch {
    // No run going any more (it just ended), or the server is out of reach: end it here.
    run.controller.abort();
  }
}

function defaultUserId() {
  let id = store.get("userId", "");
  if (!id) {
    id = `web_${Math.random().toString(36).slice(2, 10)}`;
    store.set("userId", id);
  }
  return id;
}

/** A new Turn (or a saved one, restored) that answers its approval requests through the client and saves after each. */
function newTurn(create) {
  const answer = (approvalId, decision) => answerApproval(chatId, approvalId, decision, { baseUrl: "", apiKey: ui.apiKey.value.trim() || undefined });
  const turn = create(answer);
  turn.onChange = () => {
    save();
    follow.update();
  };
  return turn;
}

/** The conversation kept in this browser, if any; its last exchange resumes if it was running. */
function restore() {
  let saved;
  try {
    saved = JSON.parse(store.get("conversation", "null"));
  } catch {
    saved = null;
  }
  if (!saved || typeof saved.chatId !== "string" || !Array.isArray(saved.turns)) return;
  chatId = saved.chatId;
  turns = saved.turns.map((s) => newTurn((answer) => Turn.restore(ui.log, s, t, uiLang, answer)));
  $("#empty").hidden = turns.length > 0;
  follow.stick();
  const last = turns.at(-1);
  if (last?.running) void resume(last, turns.at(-2)?.requestId);
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
ui.stop.addEventListener("click", stop);
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
  const run = running;
  if (run) {
    // The old conversation's answer is stopped on the server too, not left running unseen.
    if (run.started) void stopChat(chatId, { baseUrl: "", apiKey: ui.apiKey.value.trim() || undefined }).catch(() => {});
    run.controller.abort();
  }
  chatId = newChatId();
  turns = [];
  ui.log.replaceChildren();
  save();
  $("#empty").hidden = false;
  showComposerError("");
  ui.input.focus();
});
for (const b of ui.langButtons) b.addEventListener("click", () => setLang(b.dataset.lang));

setLang(lang);
setBusy(false);
restore();
document.body.dataset.ready = "true";
