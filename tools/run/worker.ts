/**
 * The one way the repository boots the Worker outside workerd's test pool, for `npm start`, the
 * end-to-end, CLI and browser tests, and `npm run load`: `wrangler dev` in a child process, or,
 * with `bundle`, the deployable bundle built once by tools/build/worker-bundle.ts in a workerd of its own
 * (Miniflare; the end-to-end tests whose subject is not wrangler's dev server: a boot costs under
 * 1 s of CPU instead of about 6). Resolves once GET /health answers; `stop()` ends it.
 *
 * By default it is the `wrangler dev` CLI, as a user runs it (flags can be added), with its DevTools
 * inspector. With `inspector: false` (`npm start` unless `--inspect`, the local stack, the load
 * script) it is the same dev server started through wrangler's API (tools/run/wrangler-dev-api.ts),
 * because the CLI cannot leave out the inspector, whose proxy handles a Network event per streamed
 * chunk: it makes responses several times slower under load, and after one 10 MB answer it was
 * left holding thousands of half-closed sockets (the issue behind `npm start`'s default).
 *
 * Vars and secrets never go on the command line (where `ps` shows them). A bundle's go to workerd
 * in Miniflare's configuration, over a pipe. `wrangler dev`'s are written to a private env file (a fresh 0700 directory, the file 0600) that wrangler reads with `--env-file`,
 * deleted when the Worker stops. Passing `--env-file` also means wrangler does not read the
 * developer's own `.dev.vars` behind the caller's back: `npm start` reads it itself and passes its
 * values in `vars` (tools/run/local-stack.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Readable } from "node:stream";
import type { startMiniflareWorker as StartMiniflareWorker } from "../lab/miniflare-worker";
import { hasProc, processName, processTree } from "../lab/proc";
import { readWorkerBundle } from "../build/worker-bundle";

export interface WorkerOptions {
  /** The Worker's vars and secrets (they override wrangler.toml's [vars]). */
  vars?: Record<string, string>;
  /**
   * A directory built by tools/build/worker-bundle.ts: boot that bundle under Miniflare instead of
   * `wrangler dev` (then only vars, host, port, onLine, persistDir and timeoutMs apply).
   */
  bundle?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** "pipe" (default): wrangler's output is kept for `output()`; "inherit": shown as it comes (npm start). */
  stdio?: "pipe" | "inherit";
  /** Each line wrangler prints, as it comes (pipe mode). */
  onLine?: (line: string) => void;
  /** More `wrangler dev` flags, after ours (CLI only). */
  args?: string[];
  /** false: no DevTools inspector (wrangler's API: no extra flags). Default true (the CLI). */
  inspector?: boolean;
  /** Without the inspector: keep Durable Object storage in .wrangler/state as the CLI does. Default false (in memory). */
  persist?: boolean;
  /** With `bundle`: keep Durable Object and R2 storage in this directory, so a Worker started again on it finds it. Default: in memory. */
  persistDir?: string;
  /** Without the inspector: rebuild and reload on source changes as the CLI does. Default false. */
  watch?: boolean;
  /** wrangler's --log-level. Default "info". */
  logLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /** How long to wait for /health. Default 60 s. */
  timeoutMs?: number;
}

export interface RunningWorker {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  /** Everything wrangler printed so far (pipe mode). */
  output(): string;
  /** The command line the child was started with (it holds no var's value). */
  readonly args: readonly string[];
  /** The private env file, while the Worker runs ("" for a bundle: it has none). */
  readonly envFile: string;
  /** The child process (wrangler), whose children are the workerd processes; for a bundle, its workerd. */
  readonly pid: number;
  /** The DevTools inspector's port (CLI), or undefined when it is off. */
  readonly inspectorPort: number | undefined;
  /** Resolves with wrangler's exit code when it ends. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const WRANGLER_DEV_API = fileURLToPath(new URL("./wrangler-dev-api.ts", import.meta.url));
const TSX = "tsx";

/** A TCP port that was free a moment ago. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Thrown when the port the caller asked for is taken by another process. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is in use by another process`);
    this.name = "PortInUseError";
  }
}

/**
 * Whether something listens on host:port: binding it fails with EADDRINUSE. Checked before wrangler
 * starts on a port the caller chose, because wrangler's dev server then neither exits nor says why
 * on its console, and a readiness probe would be answered by the other server.
 */
export async function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve(true) : reject(error)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/**
 * One env-file line. wrangler reads the file with dotenv and then expands `$NAME` references
 * (dotenv-expand). So a value is quoted with a quote character it does not contain — single
 * quotes, else backquotes (neither has escape sequences), else double quotes unless the value holds
 * `\n` or `\r` (which dotenv would turn into line breaks there) — and its `$` is written `\$`,
 * which dotenv-expand turns back into `$`. A value with line breaks goes in double quotes, each
 * written `\n` / `\r`, when it has no double quote and no `\n` / `\r` of its own. A value that
 * can't be written so is refused rather than mangled.
 */
export function envLine(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a variable name: ${JSON.stringify(name)}`);
  const escaped = value.replaceAll("$", "\\$");
  // Line breaks (a multi-line SYSTEM_PROMPT): dotenv turns \n and \r inside double quotes into them,
  // so they can go that way when the value has no double quote and no backslash-n or -r of its own.
  if (/[\r\n]/.test(value) && !value.includes('"') && !/\\[nr]/.test(value)) {
    return `${name}="${escaped.replaceAll("\r", "\\r").replaceAll("\n", "\\n")}"`;
  }
  const quote = /[\r\n]/.test(value) ? undefined : ["'", "`", '"'].find((q) => !value.includes(q) && (q !== '"' || !/\\[nr]/.test(value)));
  if (!quote) throw new Error(`${name}: a value with a line break or with every kind of quote cannot be passed to wrangler dev`);
  return `${name}=${quote}${escaped}${quote}`;
}

/** Writes the private env file; returns its path and a remover. */
function writeEnvFile(vars: Record<string, string>): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "chatapi-worker-"));
  const path = join(dir, "vars.env");
  writeFileSync(path, Object.entries(vars).map(([k, v]) => envLine(k, v)).join("\n") + "\n", { mode: 0o600 });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  return { path, remove };
}

/**
 * A free port is only free until someone binds it: with several Workers (and other suites) booting
 * at once, another process can take it in the seconds before wrangler does. When wrangler then
 * exits with "Address already in use" on a port we picked (not one the caller asked for), it is
 * started again on fresh ports.
 */
export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  if (options.bundle !== undefined) return startBundle(options.bundle, options);
  const picked = options.port === undefined && flagValue(options.args ?? [], "--inspector-port") === undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorkerOnce(options);
    } catch (error) {
      const taken = /exited \(\d+\) before it answered:[^]*Address already in use/.test((error as Error).message);
      if (!picked || !taken || attempt >= 3) throw error;
    }
  }
}

async function startWorkerOnce(options: WorkerOptions): Promise<RunningWorker> {
  const host = options.host ?? "127.0.0.1";
  if (options.port !== undefined && options.port !== 0 && (await portInUse(host, options.port))) throw new PortInUseError(host, options.port);
  const port = options.port ?? (await freePort(host));
  const envFile = writeEnvFile(options.vars ?? {});
  // A process that dies without stop() still removes its secrets.
  const onExit = () => envFile.remove();
  process.once("exit", onExit);

  const logLevel = options.logLevel ?? "info";
  const api = options.inspector === false;
  if (api && options.args?.length) throw new Error("extra wrangler dev flags need the CLI (inspector: true)");
  const userInspectorPort = flagValue(options.args ?? [], "--inspector-port");
  const inspectorPort = api ? undefined : userInspectorPort !== undefined ? Number(userInspectorPort) : await freePort();
  const args = api
    ? ["--import", TSX, WRANGLER_DEV_API, JSON.stringify({ host, port, envFile: envFile.path, logLevel, persist: options.persist ?? false, watch: options.watch ?? false })]
    : [WRANGLER, "dev", "--ip", host, "--port", String(port), ...(userInspectorPort === undefined ? ["--inspector-port", String(inspectorPort)] : []), "--log-level", logLevel, "--env-file", envFile.path, ...(options.args ?? [])];
  const inherit = options.stdio === "inherit";
  // Without the inspector the child (tools/run/wrangler-dev-api.ts) says on an IPC channel when its own
  // server is up, and on which origin: only then is /health asked, so no other server's answer is
  // taken for it.
  const ipc: "ipc"[] = api ? ["ipc"] : [];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: inherit ? ["inherit", "inherit", "inherit", ...ipc] : ["ignore", "pipe", "pipe", ...ipc],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      // Env files are read (not only .dev.vars), and the shell's environment is not passed to the Worker.
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
      CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
      // Loopback only: no fetch of the `Request.cf` placeholder from workers.cloudflare.com (the Worker reads no request.cf).
      CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
      ...(inherit ? {} : { NO_COLOR: "1", CI: "true" }),
    },
  });
  const output = keepOutput([child.stdout, child.stderr], options.onLine);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  void exited.then(() => {
    envFile.remove();
    process.off("exit", onExit);
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // wrangler's own children (workerd, esbuild) outlive it by a moment: wait for them too.
      const below = hasProc() ? processTree(child.pid!).slice(1) : [];
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      await reap(below);
    }
    envFile.remove();
  };

  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  const exitedEarly = () => {
    envFile.remove();
    return new Error(`wrangler dev exited (${child.exitCode}) before it answered:\n${output()}`);
  };
  if (api) {
    const said = await new Promise<{ ready?: string } | "exited" | "timeout">((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), timeoutMs);
      child.on("message", (message: { ready?: string }) => {
        clearTimeout(timer);
        resolve(message);
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve("exited");
      });
    });
    if (child.connected) child.disconnect();
    if (said === "exited") throw exitedEarly();
    if (said === "timeout") {
      await stop();
      throw new Error(`wrangler dev did not start within ${timeoutMs} ms:\n${output()}`);
    }
    if (!said.ready || new URL(said.ready).port !== String(port)) {
      await stop();
      throw new Error(`wrangler dev started on ${said.ready}, not on ${url}`);
    }
  }
  for (;;) {
    if (gone) throw exitedEarly();
    try {
      // No short timeout: wrangler's proxy holds a request until the Worker is up, and a probe
      // aborted meanwhile only makes workerd log a broken pipe. A port not listening yet fails at once.
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())) });
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer /health within ${timeoutMs} ms:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return { url, output, args, envFile: envFile.path, pid: child.pid!, inspectorPort, exited, stop };
}

/** The bundle in `dir` in a workerd of its own, with wrangler.toml's settings and `options.vars` over its [vars]. */
async function startBundle(dir: string, options: WorkerOptions): Promise<RunningWorker> {
  const bundle = readWorkerBundle(dir);
  // Loaded here: npm start and the scripts that only use wrangler dev never load Miniflare.
  const { startMiniflareWorker } = await import("../lab/miniflare-worker");
  let output = () => "";
  const started = startMiniflareWorker({
    name: "chatapi",
    ...bundle.options,
    // Listed, not discovered: Miniflare's import scanner cannot parse the minified bundle.
    modules: [{ type: "ESModule", path: bundle.path, contents: readFileSync(bundle.path, "utf8") }],
    modulesRoot: bundle.dir,
    bindings: { ...bundle.options.bindings, ...options.vars },
    ...(options.persistDir ? { durableObjectsPersist: join(options.persistDir, "do"), r2Persist: join(options.persistDir, "r2") } : {}),
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    handleRuntimeStdio: (out: Readable, err: Readable) => (output = keepOutput([out, err], options.onLine)),
  } as Parameters<typeof StartMiniflareWorker>[0]);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const { mf, url: ready, pid } = await Promise.race([
    started,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`the bundle's workerd did not start within ${timeoutMs} ms:\n${output()}`));
        void started.then(({ mf }) => mf.dispose(), () => {}); // should it start after all
      }, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  let stopped: Promise<void> | undefined;
  let exit: (code: number | null) => void = () => {};
  const exited = new Promise<number | null>((resolve) => (exit = resolve));
  const stop = () => (stopped ??= mf.dispose().then(() => exit(0)));
  const url = ready.replace(/\/$/, "");
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`GET /health answered ${res.status}`);
  } catch (error) {
    await stop();
    throw new Error(`the bundle's Worker did not answer /health: ${(error as Error).message}\n${output()}`);
  }
  return { url, output: () => output(), args: [], envFile: "", pid, inspectorPort: undefined, exited, stop };
}

/** Keeps what `streams` print, as text, and hands each whole line to `onLine` as it comes; returns a reader of it all. */
function keepOutput(streams: (Readable | null | undefined)[], onLine?: (line: string) => void): () => string {
  let output = "";
  let partial = "";
  for (const stream of streams) {
    stream?.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      if (!onLine) return;
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
  }
  return () => output;
}

/** Waits (at most 5 s) for these processes to end, then kills what is left. */
async function reap(pids: number[]): Promise<void> {
  const alive = () => pids.filter((pid) => processName(pid) !== undefined);
  for (let i = 0; i < 50 && alive().length; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const pid of alive()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/** The value of `--name VALUE` or `--name=VALUE` in a list of flags. */
function flagValue(list: string[], name: string): string | undefined {
  const i = list.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return list[i].includes("=") ? list[i].slice(name.length + 1) : list[i + 1];
}
