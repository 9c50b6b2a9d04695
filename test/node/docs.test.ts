/**
 * The documentation a newcomer reads: README.md stays short (at most 400 lines, the reference is
 * in docs/), every relative link in README.md, docs/*.md and client/README.md reaches a file of the
 * repository, and a link to a heading (`page.md#anchor`, `#anchor`) reaches a heading of that page
 * (GitHub's anchors: github-slugger); the files the examples use (`examples/…`) exist; and no page
 * tells project history (issue numbers, rounds of work, before/after). Links are read with a
 * Markdown parser (marked), so links inside code are not links.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import GithubSlugger from "github-slugger";
import { marked, type Token, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../tools/run/worker";

const DOCS = join(ROOT, "docs");
const PAGES = [join(ROOT, "README.md"), join(ROOT, "client/README.md"), ...readdirSync(DOCS).filter((f) => f.endsWith(".md")).map((f) => join(DOCS, f))];

/** Every token of a Markdown text, nested ones included. */
function tokensOf(text: string): Token[] {
  const all: Token[] = [];
  marked.walkTokens(marked.lexer(text), (token) => void all.push(token));
  return all;
}

/** The link targets of a page: links and images, not code. */
function linksOf(file: string): string[] {
  return tokensOf(readFileSync(file, "utf8"))
    .filter((t): t is Tokens.Link | Tokens.Image => t.type === "link" || t.type === "image")
    .map((t) => t.href);
}

/** The anchors GitHub gives a page's headings. */
function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  return new Set(
    tokensOf(readFileSync(file, "utf8"))
      .filter((t): t is Tokens.Heading => t.type === "heading")
      .map((t) => slugger.slug(t.text.replace(/`/g, ""))),
  );
}

const isRelative = (href: string) => !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith("//");

describe("README.md", () => {
  it("is at most 400 lines: what chatapi is, how to start, the main uses, links into docs/", () => {
    const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n").length;
    expect(lines).toBeLessThanOrEqual(400);
  });

  it("links to every page of docs/", () => {
    const linked = new Set(linksOf(join(ROOT, "README.md")).filter(isRelative).map((href) => href.split("#")[0]));
    const pages = readdirSync(DOCS).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });
});

describe.each(PAGES.map((file) => [relative(ROOT, file), file]))("%s", (_, file) => {
  it("has every relative link reach a file of the repository, and every #anchor a heading of its page", () => {
    const broken: string[] = [];
    for (const href of linksOf(file).filter(isRelative)) {
      const [path, anchor] = href.split("#");
      const target = path ? join(dirname(file), decodeURIComponent(path)) : file;
      if (!existsSync(target)) {
        broken.push(`${href}: no such file`);
        continue;
      }
      if (anchor && target.endsWith(".md") && !anchorsOf(target).has(anchor)) broken.push(`${href}: no heading with that anchor`);
      if (anchor && statSync(target).isDirectory()) broken.push(`${href}: an anchor into a folder`);
    }
    expect(broken).toEqual([]);
  });

  it("uses only example files that exist (examples/…)", () => {
    const mentioned = [...readFileSync(file, "utf8").matchAll(/\bexamples\/[\w.-]+/g)].map((m) => m[0]);
    expect(mentioned.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it("tells no project history: no issue numbers, rounds of work or before/after", () => {
    const text = readFileSync(file, "utf8");
    const history = [
      /\bissues? #?\d+/i,
      /\b(?:PR|pull request) #?\d+/i,
      /\bthis round\b/i,
      /\b(?:previous|earlier|last|second|first) round of\b/i,
      /\bbefore (?:and|\/) after\b/i,
      /\bbefore (?:this|these) changes?\b/i,
      /\bafter (?:this|these) changes?\b/i,
      /\bwas fixed\b|\bnow fixed\b|\bfixed in\b/i,
    ];
    const found = history.flatMap((pattern) => text.match(pattern) ?? []);
    expect(found).toEqual([]);
  });
});
