/**
 * Builds the chat page's script: page/app.js and the modules it imports (the page's own, the
 * typed client from client/src, marked and DOMPurify from node_modules) bundled by esbuild into
 * public/app.js, the one script public/index.html loads. Nothing is loaded from a CDN.
 *
 * public/app.js is committed, as public/client.js is, so the Worker's static assets are complete
 * in any clone; package.json's `prepare` rebuilds it on every install, and a test fails when the
 * committed file is not a fresh build (test/node/page-build.test.ts).
 */
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const PAGE_ENTRY = join(root, "page/app.js");
export const PAGE_BUNDLE = join(root, "public/app.js");

const BANNER = "// Generated from page/ by `npm run build:page`; do not edit. Licences of the bundled libraries at the end.";

/** The text of public/app.js. */
export async function pageBundleText(): Promise<string> {
  const result = await build({
    entryPoints: [PAGE_ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    charset: "utf8",
    legalComments: "eof",
    banner: { js: BANNER },
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** `npm run build:page`: writes public/app.js; returns the file written. */
export async function buildPage(): Promise<string[]> {
  writeFileSync(PAGE_BUNDLE, await pageBundleText());
  return [relative(root, PAGE_BUNDLE)];
}
