/**
 * The Worker as it deploys, built once and booted as often as wanted: the bundle `wrangler deploy
 * --dry-run` writes (minified, with esbuild's metafile), beside the Miniflare options wrangler
 * derives from wrangler.toml (`unstable_getMiniflareWorkerOptions`: vars, the ChatRoom Durable
 * Object, the rate limiters, the static assets with their `_headers`, compatibility settings; what
 * the workerd test pool uses too). tools/run/worker.ts boots it in a workerd of its own with
 * `startWorker({ bundle })`.
 *
 * Why: a `wrangler dev` boot costs about 6 s of CPU (wrangler itself, esbuild, its dev proxy) and
 * the end-to-end tests booted about a dozen; a bundle's boot costs under 1 s. The tests whose
 * subject is wrangler's dev server (`npm start`, test/node/e2e-wrangler-dev.test.ts) still use it.
 * The test run builds the bundle once (test/support/global-setup.ts) and hands its directory to
 * the tests.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** What a bundle directory holds besides the bundle (index.js) and esbuild's metafile (meta.json). */
const OPTIONS_FILE = "miniflare-options.json";

export interface WorkerBundle {
  /** The directory: index.js, meta.json, miniflare-options.json. */
  dir: string;
  /** The bundle's entry module. */
  path: string;
  /** esbuild's metafile of the build. */
  metafile: string;
  /** Miniflare's options for the Worker, from wrangler.toml (no vars of ours yet). */
  options: Record<string, unknown> & { bindings?: Record<string, unknown> };
}

/** Builds the deployable bundle into a fresh temp directory; returns that directory. */
export async function buildWorkerBundle(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "chatapi-worker-bundle-"));
  try {
    await promisify(execFile)(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", dir, "--metafile", join(dir, "meta.json")], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    });
    const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
    writeFileSync(join(dir, OPTIONS_FILE), JSON.stringify(workerOptions));
    return dir;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A bundle directory built by buildWorkerBundle. */
export function readWorkerBundle(dir: string): WorkerBundle {
  return {
    dir,
    path: join(dir, "index.js"),
    metafile: join(dir, "meta.json"),
    options: JSON.parse(readFileSync(join(dir, OPTIONS_FILE), "utf8")) as WorkerBundle["options"],
  };
}

export function removeWorkerBundle(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
