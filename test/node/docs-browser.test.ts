/**
 * The interactive documentation at /docs in real Chromium (as test/node/browser.test.ts drives it:
 * playwright-core, $CHROMIUM_PATH or Debian's /usr/bin/chromium) against the stack `npm start` runs
 * (tools/run/local-stack.ts). Every request the browser makes to anything but the Worker is blocked and
 * recorded, so the test proves the page comes from the Worker alone: no CDN, no online validator.
 * Screenshots go to test-results/screenshots/.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, SCREENSHOTS } from "../../tools/chromium";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../tools/run/local-stack";
import { DOCS_VENDOR, swaggerUiDist, VENDOR_FILES } from "../../tools/build/docs-build";
import { pageContext, type PageContext } from "../support/page-context";

const SHOTS = SCREENSHOTS;
const document = JSON.parse(readFileSync(new URL("../../public/openapi.json", import.meta.url), "utf8"));

let stack: LocalStack;
let browser: Browser;
/** The tests' pages: one browser context for the file, cleared between tests (test/support/page-context.ts). */
let pages: PageContext;

beforeAll(async () => {
  // Side by side; afterAll closes what did start. The demo upstream unpaced (delayMs 0): Swagger UI
  // shows a response once it is complete, so pacing would only make the test wait.
  const [launched, started] = await Promise.allSettled([launchChromium(), startLocalStack({ bundle: inject("workerBundle"), delayMs: 0, timeoutMs: 150_000 })]);
  if (launched.status === "fulfilled") browser = launched.value;
  if (started.status === "fulfilled") stack = started.value;
  for (const s of [launched, started]) if (s.status === "rejected") throw s.reason;
  pages = await pageContext(browser, `${stack.url}/health`, { viewport: { width: 1280, height: 900 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

interface Opened {
  page: Page;
  /** Every URL the page asked for. */
  requested: string[];
  /** Those that were not the Worker's: blocked. */
  blocked: string[];
  errors: string[];
}

async function openDocs(): Promise<Opened> {
  const page = await pages.newPage();
  const requested: string[] = [];
  const blocked: string[] = [];
  const origin = new URL(stack.url).origin;
  await page.route("**/*", (route) => {
    const url = route.request().url();
    requested.push(url);
    if (new URL(url).origin === origin) return route.continue();
    blocked.push(url);
    return route.abort("blockedbyclient");
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const res = await page.goto(`${stack.url}/docs`);
  expect(res?.status()).toBe(200);
  await page.waitForSelector(".opblock");
  return { page, requested, blocked, errors };
}

const operations = Object.entries(document.paths as Record<string, Record<string, { summary: string }>>).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ method, path, summary: op.summary })),
);

describe("/docs", () => {
  it("renders every operation of /openapi.json from the Worker alone: nothing is asked of any other origin", async () => {
    const { page, requested, blocked, errors } = await openDocs();
    await expect.poll(() => page.locator(".opblock").count()).toBe(operations.length);
    const shown = await page.$$eval(".opblock", (blocks) =>
      blocks.map((b) => ({
        method: b.querySelector(".opblock-summary-method")?.textContent?.toLowerCase(),
        path: b.querySelector(".opblock-summary-path")?.getAttribute("data-path"),
        summary: b.querySelector(".opblock-summary-description")?.textContent,
      })),
    );
    expect(shown).toEqual(expect.arrayContaining(operations));
    expect(await page.textContent(".info .title")).toContain("chatapi");
    expect(await page.textContent(".info")).toContain("Every error is the");
    // The bearer scheme: Swagger UI offers its Authorize button.
    expect(await page.locator(".btn.authorize").count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/docs.png`, fullPage: true });

    expect(blocked).toEqual([]);
    expect(requested.map((u) => new URL(u).pathname)).toEqual(
      expect.arrayContaining(["/docs", "/docs/vendor/swagger-ui.css", "/docs/vendor/swagger-ui-bundle.js", "/docs/init.js", "/openapi.json"]),
    );
    expect(errors).toEqual([]);
  });

  it("tries POST /api/chat from the page: it asks for the JSON envelope (the 200's first type) and shows it parsed, not \"can't parse JSON\"", async () => {
    const { page, blocked, errors } = await openDocs();
    const accepts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && new URL(r.url()).pathname === "/api/chat") accepts.push(r.headers().accept ?? "");
    });
    const op = page.locator("#operations-chat-chat");
    await op.locator(".opblock-summary").click();
    await op.locator(".try-out__btn").click();
    await op.locator(".execute").click();
    const body = op.locator(".live-responses-table .response-col_description pre");
    // Swagger UI shows the response once it is complete; headless Chromium under a loaded suite took up to half a minute.
    await expect.poll(() => body.first().textContent(), { timeout: 45_000 }).toContain('"code": 200');
    expect(accepts).toEqual(["application/json"]);
    const text = (await body.first().textContent())!;
    expect(text).not.toMatch(/can't parse JSON/i);
    // Swagger UI pretty-prints a body it parsed as JSON: the envelope, whole.
    const envelope = JSON.parse(text);
    expect(envelope).toMatchObject({ code: 200, requestId: expect.stringMatching(/^req_/), data: { answer: expect.any(String) } });
    expect(envelope.data.steps.length).toBeGreaterThan(0);
    expect(await op.locator(".live-responses-table tr.response .response-col_status").first().textContent()).toContain("200");
    await op.locator(".live-responses-table").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/docs-try-chat.png` });
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  it("serves /openapi.json as committed, readable from any origin", async () => {
    const res = await fetch(`${stack.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual(document);
  });

  it("serves the installed swagger-ui-dist, as `npm run build:docs` copied it", () => {
    const { dir } = swaggerUiDist();
    for (const name of VENDOR_FILES) {
      expect(readFileSync(join(DOCS_VENDOR, name)).equals(readFileSync(join(dir, name))), `public/docs/vendor/${name} is stale: run npm run build:docs`).toBe(true);
    }
  });
});
