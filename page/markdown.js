// An answer's Markdown on the page: marked turns it into HTML, DOMPurify keeps only safe markup.
//
// HTML written in the answer itself (a model can be made to write anything) is shown as the text
// it is, never as markup: marked's renderer escapes it. DOMPurify then takes out anything unsafe
// the Markdown could still produce (a javascript: link, say). Links open in a new tab with
// rel="noopener noreferrer"; images load without sending a referrer.
//
// While the answer streams it is rendered at most once a frame, and only from the first block
// (paragraph, list, table, code block, …) that changed: the blocks before it keep their nodes, so
// the reader's selection, the layout and the screen reader's place in them stay as they were.
import DOMPurify from "dompurify";
import { Marked } from "marked";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

const marked = new Marked({
  gfm: true,
  // A model's single line breaks are meant as line breaks.
  breaks: true,
  renderer: {
    html: ({ text }) => escapeHtml(text),
  },
});

const purify = DOMPurify(window);
purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
  if (node.tagName === "IMG") {
    node.setAttribute("referrerpolicy", "no-referrer");
    node.setAttribute("loading", "lazy");
  }
});
const PURIFY = {
  RETURN_DOM_FRAGMENT: true,
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "option"],
  FORBID_ATTR: ["style", "id", "class"],
  ADD_ATTR: ["target"],
};

/** Markdown `text` as a sanitised DOM fragment. */
export function renderMarkdown(text) {
  return purify.sanitize(marked.parse(text), PURIFY);
}

/**
 * Shows Markdown in `node`, re-rendering as it grows: `set(text)` schedules a render (one per
 * frame at most), `flush()` renders now.
 * @param {HTMLElement} node
 */
export function markdownView(node) {
  /** @type {{ raw: string, el: HTMLElement | null }[]} */
  let blocks = [];
  let text = "";
  let shown = "";
  let frame = 0;
  let timer = 0;

  function flush() {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = timer = 0;
    if (text === shown) return;
    shown = text;
    const tokens = marked.lexer(text);
    let same = 0;
    while (same < blocks.length && same < tokens.length && blocks[same].raw === tokens[same].raw) same++;
    for (const block of blocks.splice(same)) block.el?.remove();
    for (const token of tokens.slice(same)) {
      const html = marked.parser(Object.assign([token], { links: tokens.links })).trim();
      let el = null;
      if (html) {
        el = document.createElement("div");
        el.className = "md-block";
        el.append(purify.sanitize(html, PURIFY));
        node.append(el);
      }
      blocks.push({ raw: token.raw, el });
    }
  }

  return {
    /** The Markdown shown (or about to be). */
    get text() {
      return text;
    },
    set(next) {
      text = next;
      if (!next) return flush();
      if (frame || timer) return;
      frame = requestAnimationFrame(flush);
      // A page in the background gets no frames: render anyway, less often.
      timer = setTimeout(flush, 250);
    },
    flush,
  };
}
