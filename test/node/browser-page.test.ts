/**
 * The page at / as a customer would be shown it, in real Chromium: an answer's Markdown rendered
 * (and nothing an answer holds ever running), steps that read as sentences with their raw details
 * folded, one language at a time, and no serious or critical accessibility violation found by
 * axe-core (run inside the page) in either language, at a desktop's and a phone's size.
 * Servers and pages as in browser.test.ts (test/support/chat-page.ts).
 */
import type { BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SCREENSHOTS } from "../../tools/chromium";
import { newNonce, scriptFake } from "../../tools/fakes/fake-azure-client";
import type { LocalStack } from "../../tools/run/local-stack";
import type { RunningWorker } from "../../tools/run/worker";
import { seriousViolations } from "../support/axe";
import { ENDED, send, startPageServers, waitForTurn, type PageServers } from "../support/chat-page";

let servers: PageServers | undefined;
let stack: LocalStack;
let paced: RunningWorker;

beforeAll(async () => {
  servers = await startPageServers();
  ({ stack, paced } = servers);
}, 180_000);

afterAll(async () => {
  await servers?.stop();
});

const openPage = (options: BrowserContextOptions = {}, base = stack.url) => servers!.pages.open(base, options);
const turnWhen = (page: Page, predicate: string, timeout = 20_000) => waitForTurn(page, predicate, timeout, () => stack.output() + paced.output());
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;

const MARKDOWN = [
  "## Models found",
  "",
  "Here is **bold**, *emphasis* and `inline code`.",
  "",
  "- first item",
  "- second item",
  "",
  "| name | likes |",
  "| --- | --- |",
  "| qwen | 10 |",
  "",
  "```js",
  "const answer = 42;",
  "```",
  "",
  "[the docs](https://example.com/docs) and [a trap](javascript:window.__pwned=3)",
  "",
  '<img src=x onerror="window.__pwned=1">',
  "",
  "<script>window.__pwned=2</script>",
  "",
  'Inline <b onmouseover="window.__pwned=4">markup</b> stays text.',
].join("\n");

describe("an answer's Markdown", () => {
  it("is rendered as it streams, blocks already shown kept as they are; HTML in it never runs and never reaches the DOM as markup", async () => {
    const { page, errors } = await openPage({}, paced.url);
    const nonce = newNonce("md");
    await scriptFake(inject("fakeAzureUrl"), nonce, [{ text: MARKDOWN, delay: 15 }]);
    await send(page, `${nonce} show me`);

    // Mid-answer, once the blocks after it have started: the heading drawn then must be the very
    // element shown at the end (blocks already complete are not rendered again as the answer grows).
    await page.waitForFunction(() => document.querySelector(".turn .answer li") && document.querySelector(".turn")!.getAttribute("data-state") === "streaming", undefined, { timeout: 20_000 });
    await page.evaluate(() => ((window as unknown as { __heading: Element }).__heading = document.querySelector(".turn .answer h2")!));
    const end = await turnWhen(page, ENDED);
    expect(end.state).toBe("done");
    await page.screenshot({ path: `${SCREENSHOTS}/markdown.png`, fullPage: true });

    const shown = await page.evaluate(() => {
      const answer = document.querySelector(".turn .answer")!;
      const all = (sel: string) => [...answer.querySelectorAll(sel)];
      return {
        sameHeading: answer.querySelector("h2") === (window as unknown as { __heading: Element }).__heading,
        h2: answer.querySelector("h2")?.textContent,
        strong: answer.querySelector("strong")?.textContent,
        em: answer.querySelector("em")?.textContent,
        code: answer.querySelector("p code")?.textContent,
        items: all("li").map((li) => li.textContent),
        cells: all("th, td").map((c) => c.textContent),
        block: answer.querySelector("pre code")?.textContent,
        links: all("a").map((a) => ({ text: a.textContent, href: a.getAttribute("href"), target: a.getAttribute("target"), rel: a.getAttribute("rel") })),
        markup: all("img, script, iframe, [onerror], [onmouseover], b").length,
        text: answer.textContent,
        pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      };
    });
    expect(shown).toMatchObject({
      sameHeading: true,
      h2: "Models found",
      strong: "bold",
      em: "emphasis",
      code: "inline code",
      items: ["first item", "second item"],
      cells: ["name", "likes", "qwen", "10"],
      block: "const answer = 42;\n",
      markup: 0,
      pwned: null,
    });
    expect(shown.links[0]).toEqual({ text: "the docs", href: "https://example.com/docs", target: "_blank", rel: "noopener noreferrer" });
    // The javascript: link keeps its words and loses its address.
    expect(shown.links.filter((l) => l.href?.startsWith("javascript"))).toEqual([]);
    // The HTML is there for the reader to see, as text.
    expect(shown.text).toContain('<img src=x onerror="window.__pwned=1">');
    expect(shown.text).toContain("<script>window.__pwned=2</script>");
    expect(shown.text).toContain('Inline <b onmouseover="window.__pwned=4">markup</b> stays text.');
    await page.hover(".turn .answer p:last-child");
    await page.click(".turn .answer a:has-text('a trap')");
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null)).toBeNull();
    expect(errors).toEqual([]);
  }, 60_000);
});

describe("steps", () => {
  it("read as sentences; each one's raw parameters and result are folded under Details, opened by a click or the keyboard", async () => {
    const { page, errors } = await openPage();
    await send(page, "帮我找一个 qwen 模型");
    const end = await turnWhen(page, ENDED);
    expect(end.state).toBe("done");
    expect(end.steps.length).toBeGreaterThanOrEqual(6);
    for (const s of end.steps) {
      expect(s.detailsOpen).toBe(false);
      expect(s.content).not.toMatch(/[{}]/);
    }
    const call = page.locator(".turn .step", { has: page.locator(".step-content", { hasText: "search_models 调用成功" }) });
    expect(await call.locator("pre").first().isVisible()).toBe(false);
    expect(await call.locator(".step-head").innerText()).toMatch(/^工具 search_models 调用成功\s*成功\s*\d+ ms$/);
    await call.locator("summary").focus();
    await page.keyboard.press("Enter");
    expect(await call.locator(".step-detail").evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await call.locator(".detail-label").allTextContents()).toEqual(["参数", "结果"]);
    expect(await call.locator("pre").first().textContent()).toContain('"query": "qwen"');
    expect(errors).toEqual([]);
  });
});

/** The page's visible text and the texts of its labels, placeholders and titles, without `leaveOut`. */
function pageTexts(page: Page, leaveOut: string[]): Promise<string[]> {
  return page.evaluate((leaveOut) => {
    const skip = (node: Element) => leaveOut.some((sel) => node.closest(sel));
    const texts: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement!;
      if (skip(parent) || !parent.checkVisibility() || !node.textContent!.trim()) continue;
      texts.push(node.textContent!.trim());
    }
    for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
      if (skip(el)) continue;
      for (const name of ["placeholder", "title", "aria-label"]) if (el.getAttribute(name)) texts.push(el.getAttribute(name)!);
    }
    texts.push(document.title);
    return texts;
  }, leaveOut);
}

describe("one language at a time", () => {
  it("in English, nothing Chinese shows but the language switch and the user's own text", async () => {
    const { page, errors } = await openPage();
    await page.click("button[data-lang=en]");
    await page.click(".settings summary");
    expect(await pageTexts(page, [".lang"]).then((t) => t.filter((s) => CJK.test(s)))).toEqual([]);

    await send(page, "hello there");
    expect((await turnWhen(page, ENDED)).state).toBe("done");
    expect(await pageTexts(page, [".lang", ".user-text"]).then((t) => t.filter((s) => CJK.test(s)))).toEqual([]);

    // A tool call: its steps in English too. (The answer quotes the tool's result, whose model names are Chinese.)
    await send(page, "find me a qwen model");
    const end = await turnWhen(page, `${ENDED} && document.querySelectorAll(".turn").length === 2`);
    expect(end.state).toBe("done");
    expect(end.steps.some((s) => s.tool === "MCP" && s.content === "Tool search_models succeeded")).toBe(true);
    expect(await pageTexts(page, [".lang", ".user-text", ".turn:last-child .answer"]).then((t) => t.filter((s) => CJK.test(s)))).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/english.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it("in Chinese, the step texts and their badges hold no English but names", async () => {
    const { page, errors } = await openPage();
    await send(page, "帮我找一个 qwen 模型");
    const end = await turnWhen(page, ENDED);
    expect(end.state).toBe("done");
    const NAMES = /Azure OpenAI|MCP|GPT-4\.1|\bdemo\b|web_\w+|search_models|get_model_info/g;
    for (const s of end.steps) {
      expect(s.content.replace(NAMES, ""), s.content).not.toMatch(/[A-Za-z]{2,}/);
      expect(s.badge).toMatch(CJK);
    }
    expect(errors).toEqual([]);
  });
});

describe("accessibility (axe-core)", () => {
  it.each([
    ["desktop", "zh"],
    ["desktop", "en"],
    ["phone", "zh"],
    ["phone", "en"],
  ] as const)("%s, %s: no serious or critical violation, before and after a chat with a tool call, settings open", async (size, lang) => {
    const { page, errors } = await openPage(size === "phone" ? PHONE : { viewport: { width: 1280, height: 900 } });
    if (lang === "en") await page.click("button[data-lang=en]");
    expect(await seriousViolations(page)).toEqual([]);
    await page.click(".settings summary");
    await send(page, lang === "zh" ? "帮我找一个 qwen 模型" : "find me a qwen model");
    const end = await turnWhen(page, ENDED);
    expect(end.state).toBe("done");
    // A phone folds the finished steps into one line: unfolded, then a step's details opened.
    if (size === "phone") await page.click(".turn .steps-summary");
    await page.locator(".step-detail summary").first().click();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/axe-${size}-${lang}.png` });
    expect(errors).toEqual([]);
  }, 60_000);
});

describe("on a phone", () => {
  it("the placeholder fits its box, in both languages, and no keyboard hints show", async () => {
    const { page, errors } = await openPage(PHONE);
    for (const lang of ["zh", "en"]) {
      await page.click(`button[data-lang=${lang}]`);
      const fit = await page.evaluate(() => {
        const box = document.querySelector<HTMLTextAreaElement>("#message")!;
        const style = getComputedStyle(box);
        const ctx = document.createElement("canvas").getContext("2d")!;
        ctx.font = `${style.fontSize} ${style.fontFamily}`;
        const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return { text: ctx.measureText(box.placeholder).width, room };
      });
      expect(fit.text).toBeLessThan(fit.room);
      expect(await page.isVisible("#key-hint")).toBe(false);
    }
    expect(await page.textContent("#empty")).not.toMatch(/Enter/);
    expect(errors).toEqual([]);
  });
});
