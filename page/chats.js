// The list of the user's chats kept by the service: newest first, each a link to its own URL
// (#/chat/{chat_id}), with a delete button that asks first (a modal <dialog>). A column beside the
// conversation on a wide screen; on a narrow one a drawer that the "Chats" button opens, which
// keeps the keyboard inside it (the rest of the page is inert) until Escape, the close button, a
// tap outside it, or opening a chat closes it.

const NARROW = "(max-width: 800px)";

/** The URL fragment of a chat. */
export const chatHref = (chatId) => `#/chat/${encodeURIComponent(chatId)}`;

/**
 * @param {{
 *   api: ReturnType<typeof import("./server.js").conversationsApi>,
 *   texts: () => any,
 *   lang: () => "zh" | "en",
 *   userId: () => string,
 *   current: () => string,
 *   onDeleted: (chatId: string) => void,
 * }} options
 */
export function createChatList({ api, texts, lang, userId, current, onDeleted }) {
  const $ = (selector) => document.querySelector(selector);
  const nav = $("#chats");
  const list = $("#chat-list");
  const status = $("#chats-status");
  const more = $("#chats-more");
  const toggle = $("#chats-toggle");
  const close = $("#chats-close");
  const backdrop = $(".drawer-backdrop");
  const dialog = $("#confirm-delete");
  const narrow = window.matchMedia(NARROW);

  /** @type {{ chat_id: string, title: string, updated_at: string, messages: number }[]} */
  let chats = [];
  let cursor = null;
  /** What the status line says: a key of the texts and its argument, or nothing. */
  let note;
  /** Each load has a number: an older answer arriving late is dropped. */
  let generation = 0;

  const titleOf = (chat) => chat.title || texts().untitled;

  function render() {
    const t = texts();
    const format = new Intl.DateTimeFormat(lang() === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" });
    list.replaceChildren(
      ...chats.map((chat) => {
        const item = document.createElement("li");
        item.className = "chat-item";
        item.dataset.chatId = chat.chat_id;
        const link = document.createElement("a");
        link.className = "chat-link";
        link.href = chatHref(chat.chat_id);
        if (chat.chat_id === current()) link.setAttribute("aria-current", "page");
        const title = document.createElement("span");
        title.className = "chat-title";
        title.textContent = titleOf(chat);
        const time = document.createElement("time");
        time.className = "chat-time";
        time.dateTime = chat.updated_at;
        time.textContent = format.format(new Date(chat.updated_at));
        link.append(title, time);
        // From the drawer: it closes, and the keyboard goes back to the button that opened it.
        link.addEventListener("click", () => closeDrawer());
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chat-delete";
        remove.ariaLabel = remove.title = t.deleteChat(titleOf(chat));
        remove.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M5 7h14M10 7V5h4v2M7 7l1 12h8l1-12M10 11v5M14 11v5" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round"/></svg>';
        remove.addEventListener("click", () => void confirmDelete(chat, remove));
        item.append(link, remove);
        return item;
      }),
    );
    more.hidden = !cursor;
    const text = note ? t[note.key](note.detail) : chats.length === 0 ? t.noChats : "";
    status.textContent = text;
    status.hidden = !text;
  }

  /** The first page again (after a turn, a delete, another key or user id). */
  async function load() {
    const mine = ++generation;
    const id = userId();
    try {
      const page = await api.list(id);
      if (mine !== generation) return;
      chats = page.chats;
      cursor = page.next_cursor;
      note = undefined;
    } catch (error) {
      if (mine !== generation) return;
      chats = [];
      cursor = null;
      note = error?.status === 401 ? { key: "chatsNeedKey" } : { key: "chatsFailed", detail: error instanceof Error ? error.message : String(error) };
    }
    render();
  }

  async function loadMore() {
    if (!cursor) return;
    const mine = generation;
    try {
      const page = await api.list(userId(), cursor);
      if (mine !== generation) return;
      const known = new Set(chats.map((c) => c.chat_id));
      chats = [...chats, ...page.chats.filter((c) => !known.has(c.chat_id))];
      cursor = page.next_cursor;
      note = undefined;
    } catch (error) {
      note = { key: "chatsFailed", detail: error instanceof Error ? error.message : String(error) };
    }
    render();
    // The keyboard goes on to the first chat just added (the button may be gone).
    if (document.activeElement === more || document.activeElement === document.body) {
      (more.hidden ? list.querySelector("li:last-child .chat-link") : more)?.focus();
    }
  }

  /** Asks in a modal dialog; on "Delete", deletes the chat on the server and takes it off the list. */
  async function confirmDelete(chat, button) {
    const t = texts();
    dialog.querySelector("#confirm-text").textContent = t.deleteText(titleOf(chat));
    dialog.returnValue = "";
    dialog.showModal();
    const answer = await new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue), { once: true }));
    if (answer !== "delete") return; // the dialog gives the focus back to the delete button
    const index = chats.findIndex((c) => c.chat_id === chat.chat_id);
    try {
      await api.remove(chat.chat_id);
    } catch (error) {
      note = { key: "deleteFailed", detail: error instanceof Error ? error.message : String(error) };
      render();
      button.focus();
      return;
    }
    chats = chats.filter((c) => c.chat_id !== chat.chat_id);
    note = undefined;
    render();
    onDeleted(chat.chat_id);
    // The keyboard goes to the chat that took its place (or the one before it), else the list's heading.
    const links = list.querySelectorAll(".chat-link");
    const next = links[Math.min(index, links.length - 1)];
    if (next) next.focus();
    else status.focus();
  }

  // The drawer (narrow screens).
  const outside = () => [document.querySelector(".top"), document.querySelector(".chat")];
  function openDrawer() {
    nav.dataset.open = "true";
    backdrop.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    for (const node of outside()) node.inert = true;
    (list.querySelector('[aria-current="page"]') ?? list.querySelector(".chat-link") ?? close).focus();
  }
  function closeDrawer(refocus = true) {
    if (nav.dataset.open !== "true") return;
    delete nav.dataset.open;
    backdrop.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    for (const node of outside()) node.inert = false;
    if (refocus) toggle.focus();
  }
  toggle.addEventListener("click", () => (nav.dataset.open === "true" ? closeDrawer() : openDrawer()));
  close.addEventListener("click", () => closeDrawer());
  backdrop.addEventListener("click", () => closeDrawer());
  nav.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && nav.dataset.open === "true") {
      e.preventDefault();
      closeDrawer();
    }
  });
  // Wide again: the list is a column, nothing is inert.
  narrow.addEventListener("change", () => {
    if (!narrow.matches) closeDrawer(false);
  });
  more.addEventListener("click", () => void loadMore());
  status.tabIndex = -1;

  return {
    load,
    /** Re-renders in the current language, with the current chat marked. */
    render,
    closeDrawer,
  };
}
