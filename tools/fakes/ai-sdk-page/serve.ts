/**
 * Builds the useChat page (./main.tsx with React, @ai-sdk/react and ai, bundled for the browser by
 * esbuild) into a fresh temporary directory and serves it with ./index.html from a tiny static
 * server on 127.0.0.1: an app on its own origin, which the Worker must list in `CORS_ORIGINS`.
 * Nothing of it reaches the Worker's bundle.
 *
 * The page's packages (ai 7, @ai-sdk/react 4, React) are not the root's devDependencies but this
 * folder's own (./package.json, ./package-lock.json), installed here with `npm ci` the first time
 * the page is built (and again when the lock file changes): ai 7 and @ai-sdk/react 4 declare
 * Node 22, and at the root every `npm install` on Node 20 warned about them although they only
 * ever run bundled in Chromium. The Node tests of the AI SDK (ai 5 and 6) use the root's packages.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json" };

export interface AiSdkPage {
  /** The page's origin, e.g. http://127.0.0.1:PORT (put it in CORS_ORIGINS). */
  origin: string;
  /** The page with its query, e.g. url({ api, key }). */
  url(params?: Record<string, string>): string;
  close(): Promise<void>;
}

/**
 * Installs the page's packages into ./node_modules (`npm ci` from ./package-lock.json) unless
 * they are there and as locked. Their engine warnings (Node 22) are expected here: the bundle runs
 * in the browser. The registry is needed once.
 */
export function installAiSdkPagePackages(): void {
  const lock = join(HERE, "package-lock.json");
  const installed = join(HERE, "node_modules/.package-lock.json");
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log("[ai-sdk-page] Installing the useChat page's packages (ai 7, @ai-sdk/react 4, React) into tools/fakes/ai-sdk-page/node_modules: they run only in the browser, though ai 7 declares Node 22");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: HERE, stdio: ["ignore", "inherit", "inherit"] });
}

/** Bundles main.tsx into `outDir` (main.js) next to a copy of index.html. */
export async function buildAiSdkPage(outDir: string): Promise<void> {
  installAiSdkPagePackages();
  await build({
    entryPoints: [join(HERE, "main.tsx")],
    outfile: join(outDir, "main.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    minify: true,
    sourcemap: true,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  copyFileSync(join(HERE, "index.html"), join(outDir, "index.html"));
}

export async function serveAiSdkPage(port = 0): Promise<AiSdkPage> {
  const dir = mkdtempSync(join(tmpdir(), "chatapi-ai-sdk-page-"));
  try {
    await buildAiSdkPage(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname;
    const name = path === "/" ? "index.html" : path.slice(1);
    if (!/^[\w.-]+$/.test(name)) return void res.writeHead(404).end();
    try {
      const body = readFileSync(join(dir, name));
      res.writeHead(200, { "content-type": TYPES[extname(name)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (params = {}) => `${origin}/?${new URLSearchParams(params)}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
