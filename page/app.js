// The chat page: wires the composer, the settings, the language switch and the list of chats to
// the typed client.
//
// Every chat is kept by the service (`history: "server"` with the chat's chat_id): a message is
// sent alone, and the model gets the stored conversation before it. Each chat has its own URL
// (#/chat/{chat_id}); opening one (from the list, by a reload, in another browser with the same
// key) reads it back with GET /api/chat/{chat_id}/messages, its images fetched with the key and
// shown as blob: URLs, its steps and answers drawn as a live chat's are. Each answer runs as a
// resumable chat: a dropped connection is picked up again by the client (after the last event it
// had), and a chat opened while its last message is still being answered reads that answer from
// its start (GET /api/chat/{chat_id}/stream?after=0). Stop asks the server to stop the run
// (POST /api/chat/{chat_id}/stop). A tool call that waits for approval shows Approve / Deny in its
// timeline entry, answered with POST /api/chat/{chat_id}/approvals/{id}; the decisions sent from
// this browser are remembered in it, so the chat shows them when it is opened again.
import { CHAT_ID_MAX, CHAT_ID_PATTERN, ChatApiError, answerApproval, resumeChat, stopChat, streamChat } from "../client/src/index";
import { applyTexts, texts } from "./i18n.js";
import { createAttachments } from "./attachments.js";
import { chatHref, createChatList } from "./chats.js";
import { conversationsApi } from "./server.js";
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
  remove: (key) => {
    try {
      localStorage.removeItem(`chatapi.${key}`);
    } catch {
      // nothing kept, nothing to remove
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
  empty: $("#empty"),
  note: $("#chat-note"),
  langButtons: document.querySelectorAll("[data-lang]"),
};

let lang = store.get("lang", "zh") === "en" ? "en" : "zh";
const t = () => texts[lang];
const uiLang = () => lang;
/** The open chat's chat_id: the service keeps it under this id, and every answer in it runs as a resumable chat. */
let chatId = newChatId();
/** What the note above the conversation says (loading, not found, …): a key of the texts and its argument. */
let note;
/** Each opening of a chat has a number: what an earlier one loads late is dropped. */
let opening = 0;
/** The blob: URLs of the open chat's stored images, freed when another chat opens. */
let blobUrls = [];
/** @type {Turn[]} */
let turns = [];
/**
 * The exchange in progress.
 * @type {{ turn: Turn, controller: AbortController, started: boolean, stopAsked: boolean, stopSent?: boolean, stopTimer?: number, detached?: boolean } | undefined}
 */
let running;

const attachments = createAttachments($("#attachments"), t, showComposerError);
const apiKey = () => ui.apiKey.value.trim() || undefined;
const api = conversationsApi(() => ({ apiKey: apiKey(), lang }));
const chatList = createChatList({ api, texts: t, lang: uiLang, userId: () => userIdOf(), current: () => chatId, onDeleted: deleted });

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
  chatList.render();
  showNote(note);
  showComposerError("");
}

/** The note above the conversation (a key of the texts and its argument), or none; the empty chat's hint otherwise. */
function showNote(next) {
  note = next;
  ui.note.textContent = note ? t()[note.key](note.detail) : "";
  ui.note.hidden = !note;
  ui.empty.hidden = !!note || turns.length > 0;
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

/** Keeps the approvals this browser answered in the open chat, so opening it again shows them. */
function save() {
  const decisions = new Map();
  for (const turn of turns) for (const [id, decision] of turn.decisions) decisions.set(id, decision);
  if (decisions.size) store.set(`decisions.${chatId}`, JSON.stringify([...decisions]));
}

function savedDecisions(id) {
  try {
    const saved = JSON.parse(store.get(`decisions.${id}`, "[]"));
    return Array.isArray(saved) ? saved : [];
  } catch {
    return [];
  }
}

function requestOptions(signal, turn) {
  return {
    baseUrl: "",
    apiKey: apiKey(),
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
    if (run.detached) return;
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
    if (!run.detached) {
      save();
      follow.update();
    }
  }
}

async function send() {
  // Not while a chat is being opened: its stored turns come first.
  if (running || note?.key === "loadingChat") return;
  const text = ui.input.value.trim();
  const images = [...attachments.items];
  if (!text && images.length === 0) return showComposerError(t().empty);
  showComposerError("");
  ui.input.value = "";
  attachments.clear();
  // The Send button is disabled while the answer comes: the keyboard stays in the message box.
  ui.input.focus();

  const turn = newTurn((answer) => new Turn(ui.log, { text, images: images.map(({ name, dataUrl }) => ({ name, dataUrl })), lang }, t, uiLang, answer));
  turns.push(turn);
  showNote(undefined);
  // The chat's own URL from its first message on: a reload, or the link elsewhere, opens it again.
  if (chatFromUrl() !== chatId) history.replaceState(null, "", chatHref(chatId));
  follow.stick();
  // Only the new message: the service keeps the conversation and gives the model all of it.
  const request = { user_id: userIdOf(), chat_id: chatId, history: "server", query: [userMessage(text, images)] };
  await drive(turn, (options) => streamChat(request, options));
  // The chat is listed (first at the top) once its answer is kept.
  void chatList.load();
  // Back to the message box, unless the reader has moved on (to a link in the answer, say).
  if (document.activeElement === document.body || document.activeElement === null) ui.input.focus();
}

/**
 * A chat opened while its last message was still being answered: that run is read again from its
 * start and the exchange rebuilt. The first event tells whether it is that run, not the one that
 * answered the message before (whose events the service keeps a while after its end).
 */
async function resume(turn, previousRunId) {
  turn.reset();
  follow.stick();
  await drive(turn, (options) => resumeChat(chatId, { ...options, after: 0 }), {
    check: (first) => {
      if (previousRunId !== undefined && first.requestId === previousRunId) throw new Refused("resumeGone");
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
    await stopChat(chatId, { baseUrl: "", apiKey: apiKey() });
  } catch {
    // No run going any more (it just ended), or the server is out of reach: end it here.
    run.controller.abort();
  }
}

/** The user id the chats are kept under: the one in the settings, or this browser's own. */
function userIdOf() {
  return ui.userId.value.trim() || defaultUserId();
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
  const id = chatId;
  const answer = (approvalId, decision) => answerApproval(id, approvalId, decision, { baseUrl: "", apiKey: apiKey() });
  const turn = create(answer);
  turn.onChange = () => {
    save();
    follow.update();
  };
  return turn;
}

/** The chat id in the URL (#/chat/{chat_id}), if it holds a valid one. */
function chatFromUrl() {
  const match = /^#\/chat\/([^/]+)$/.exec(location.hash);
  if (!match) return undefined;
  let id;
  try {
    id = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  return id.length <= CHAT_ID_MAX && CHAT_ID_PATTERN.test(id) ? id : undefined;
}

/** Stops showing the open chat: its answer, if one is coming, goes on (and is kept) on the server. */
function leaveChat() {
  opening++;
  const run = running;
  if (run) {
    run.detached = true;
    run.controller.abort();
  }
  turns = [];
  ui.log.replaceChildren();
  for (const url of blobUrls) URL.revokeObjectURL(url);
  blobUrls = [];
  showComposerError("");
}

/** A new chat: nothing kept on the server until its first message. */
function newChat() {
  leaveChat();
  chatId = newChatId();
  showNote(undefined);
  chatList.render();
}

const CJK = /[\u3400-\u9fff]/;

/** The stored images of `messages`, fetched with the key, as blob: URLs by their path (missing when they could not be read). */
async function storedImages(messages) {
  const paths = new Set();
  for (const message of messages) {
    for (const part of Array.isArray(message.content) ? message.content : []) {
      if (part.type === "input_image" && typeof part.image_url === "string" && part.image_url.startsWith("/api/")) paths.add(part.image_url);
    }
  }
  const urls = new Map();
  await Promise.all(
    [...paths].map(async (path) => {
      try {
        urls.set(path, await api.image(path));
      } catch {
        // shown as missing
      }
    }),
  );
  return urls;
}

/** The exchanges of a stored conversation: each user message with the answer that follows it. */
function storedTurns(messages, images, decisions) {
  const saved = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (message.role !== "user") continue;
    const parts = Array.isArray(message.content) ? message.content : [];
    const text = parts.filter((p) => p.type === "input_text").map((p) => p.text).join("\n");
    const pictures = parts
      .filter((p) => p.type === "input_image")
      .map((p, n) => ({ name: t().storedImage(n + 1), dataUrl: p.image_url.startsWith("data:") ? p.image_url : images.get(p.image_url) }));
    const reply = messages[i + 1]?.role === "assistant" ? messages[i + 1] : undefined;
    const steps = reply?.steps ?? [];
    const system = steps.find((s) => s.tool_type === "System");
    // No answer after it: being answered, if it is the last message (a run that failed keeps an empty answer).
    const state = !reply ? (i === messages.length - 1 ? "waiting" : "error") : reply.status === "stopped" ? "stopped" : reply.status === "error" ? "error" : "done";
    saved.push({
      // The steps' language is the one the message was sent in.
      message: { text, images: pictures, lang: steps.length ? (steps.some((s) => CJK.test(s.present_content)) ? "zh" : "en") : lang },
      requestId: reply?.id,
      state,
      steps,
      answer: (reply?.content ?? []).filter((p) => p.type === "output_text").map((p) => p.text).join(""),
      usage: reply?.usage ?? undefined,
      error: state === "error" ? { key: "storedError" } : undefined,
      serverElapsed: system?.execution_duration,
      elapsed: system?.execution_duration ?? 0,
      decisions,
    });
  }
  return saved;
}

/**
 * Opens the chat `id` as the service keeps it; resolves once it is shown. Its last message, if it
 * is still being answered, is then followed as its answer comes.
 */
async function openChat(id) {
  leaveChat();
  const mine = opening;
  chatId = id;
  showNote({ key: "loadingChat" });
  chatList.render();
  let view;
  try {
    view = await api.messages(id);
  } catch (error) {
    if (mine !== opening) return;
    if (error instanceof ChatApiError && error.status === 404) {
      // Nothing of it on the server (deleted, expired, another key's): a message starts a new chat.
      chatId = newChatId();
      history.replaceState(null, "", location.pathname + location.search);
      showNote({ key: "chatNotFound" });
    } else {
      showNote({ key: "chatLoadFailed", detail: error instanceof Error ? error.message : String(error) });
      if (error instanceof ChatApiError && error.status === 401) $(".settings").open = true;
    }
    return;
  }
  const images = await storedImages(view.messages);
  if (mine !== opening) {
    for (const url of images.values()) URL.revokeObjectURL(url);
    return;
  }
  blobUrls = [...images.values()];
  const decisions = savedDecisions(id);
  turns = storedTurns(view.messages, images, decisions).map((s) => newTurn((answer) => Turn.restore(ui.log, s, t, uiLang, answer)));
  showNote(undefined);
  follow.stick();
  const last = turns.at(-1);
  if (last?.running) void resume(last, turns.at(-2)?.requestId);
}

/** The chat named by the URL, or a new one: on a link of the list, Back and Forward. */
function route() {
  const id = chatFromUrl();
  if (id === undefined) {
    if (turns.length > 0 || note) newChat();
  } else if (id !== chatId || note?.key === "chatLoadFailed") {
    void openChat(id);
  }
}

/** The list deleted a chat: if it is the one open, a new chat takes its place. */
function deleted(id) {
  store.remove(`decisions.${id}`);
  if (id !== chatId) return;
  newChat();
  history.replaceState(null, "", location.pathname + location.search);
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
// Another key or user id: another list (and the open chat again, if the key kept it from loading).
ui.apiKey.addEventListener("change", () => {
  void chatList.load();
  if (note?.key === "chatLoadFailed") void openChat(chatId);
});
ui.userId.addEventListener("change", () => void chatList.load());
ui.newChat.addEventListener("click", () => {
  newChat();
  if (location.hash) history.pushState(null, "", location.pathname + location.search);
  chatList.closeDrawer(false);
  ui.input.focus();
});
window.addEventListener("hashchange", route);
for (const b of ui.langButtons) b.addEventListener("click", () => setLang(b.dataset.lang));

// The conversation used to be kept in this browser; the service keeps it now.
store.remove("conversation");
setLang(lang);
setBusy(false);
void chatList.load();
const first = chatFromUrl();
(first ? openChat(first) : Promise.resolve()).finally(() => (document.body.dataset.ready = "true"));
