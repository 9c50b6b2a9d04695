/**
 * The browser build of the typed client (src/client) as one ES module, public/client.js, which
 * the page imports. Committed, so `npm start` on a fresh clone serves a working page; rebuilt by
 * `tsx scripts/build-client.ts` and checked for drift by test/node/client-bundle.test.ts.
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const CLIENT_ENTRY = fileURLToPath(new URL("../src/client/index.ts", import.meta.url));
export const CLIENT_BUNDLE = fileURLToPath(new URL("../public/client.js", import.meta.url));

const BANNER = "// Generated from src/client by `tsx scripts/build-client.ts`; do not edit.";

/** The text of public/client.js. */
export async function clientBundleText(): Promise<string> {
  const result = await build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    charset: "utf8",
    legalComments: "none",
    banner: { js: BANNER },
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}
