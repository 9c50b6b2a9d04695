/**
 * The chat page's script: public/app.js is a fresh esbuild bundle of page/ (with the typed client,
 * marked and DOMPurify), self-contained, and the page loads nothing from another origin.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PAGE_BUNDLE, pageBundleText } from "../../tools/build/page-build";

describe("the page's built script", () => {
  it("public/app.js is byte for byte a fresh build of page/ (run `npm run build:page`)", async () => {
    expect(readFileSync(PAGE_BUNDLE, "utf8")).toBe(await pageBundleText());
  });

  it("is one module with no imports, carrying marked and DOMPurify; index.html loads only the service's own files", () => {
    const text = readFileSync(PAGE_BUNDLE, "utf8");
    expect(text).not.toMatch(/^\s*import[\s{*]|\bimport\(/m);
    expect(text).toMatch(/DOMPurify/);
    expect(text).toMatch(/marked/);
    const html = readFileSync(new URL("../../public/index.html", import.meta.url), "utf8");
    const loaded = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(loaded.sort()).toEqual(["/app.js", "/style.css", "data:,"]);
  });
});
