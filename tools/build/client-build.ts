/**
 * Builds the typed client (client/src) for its two audiences, from one esbuild bundle:
 *
 *   - public/client.js: the ES module the page at / imports (and any page from an allowed origin,
 *     as /client.js). Committed, so the Worker's static assets are complete in any clone; a test
 *     fails when it is stale (test/node/client-package.test.ts).
 *   - client/dist/: the `chatapi-client` package (client/package.json `exports`): index.js and its
 *     declarations under client/dist/types (tsc --emitDeclarationOnly -p client/tsconfig.json).
 *     Not committed: the root's `prepare` script builds it on `npm install` / `npm ci`, and the
 *     client package's `prepack` on `npm pack` in client/, so generated files never drift in review.
 *
 * The bundle has no imports: the client needs only fetch, streams and TextDecoder (browsers, Node
 * 20, Workers). Its declarations import nothing either: the wire types are client/src/wire.ts,
 * compiled from the published JSON Schema (tools/build/client-wire-types.ts), not zod's inferred types.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const CLIENT_ENTRY = join(root, "client/src/index.ts");
export const CLIENT_BUNDLE = join(root, "public/client.js");
export const CLIENT_DIST = join(root, "client/dist");
/** Where client/package.json's `exports["."].types` points. */
export const CLIENT_TYPES_ENTRY = join(CLIENT_DIST, "types/client/src/index.d.ts");

const BANNER = "// Generated from client/src by `npm run build:client`; do not edit.";

/** The text of the bundle (public/client.js and client/dist/index.js alike). */
export async function clientBundleText(): Promise<string> {
  const result = await build({
    entryPoints: [CLIENT_ENTRY],
    // Paths in the bundle's comments are relative to the repository, wherever the build runs
    // (`npm pack` in client/ runs it from there).
    absWorkingDir: root,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    charset: "utf8",
    legalComments: "none",
    banner: { js: BANNER },
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * tsc writes relative imports without extensions (`from "./errors"`), which a consumer resolving
 * as Node does (`moduleResolution: node16/nodenext`) cannot follow in an ES module: name the file.
 */
function withExtensions(file: string, text: string): string {
  return text.replace(/(from\s+|import\()"(\.{1,2}\/[^"]+)"/g, (whole, head: string, spec: string) => {
    const target = resolve(dirname(file), spec);
    if (existsSync(`${target}.d.ts`)) return `${head}"${spec}.js"`;
    if (existsSync(join(target, "index.d.ts"))) return `${head}"${spec}/index.js"`;
    return whole;
  });
}

/** Writes client/dist: the bundle and its declarations. */
export async function buildClientPackage(text?: string): Promise<void> {
  rmSync(CLIENT_DIST, { recursive: true, force: true });
  mkdirSync(CLIENT_DIST, { recursive: true });
  writeFileSync(join(CLIENT_DIST, "index.js"), text ?? (await clientBundleText()));
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(root, "client/tsconfig.json")], { cwd: root, stdio: "inherit" });
  for (const file of filesUnder(join(CLIENT_DIST, "types"))) {
    if (file.endsWith(".d.ts")) writeFileSync(file, withExtensions(file, readFileSync(file, "utf8")));
  }
  if (!existsSync(CLIENT_TYPES_ENTRY)) throw new Error(`tsc did not write ${relative(root, CLIENT_TYPES_ENTRY)}`);
}

/** `npm run build:client`: public/client.js and client/dist. */
export async function buildClient(): Promise<string[]> {
  const text = await clientBundleText();
  writeFileSync(CLIENT_BUNDLE, text);
  await buildClientPackage(text);
  return [CLIENT_BUNDLE, ...filesUnder(CLIENT_DIST)].map((f) => relative(root, f));
}
