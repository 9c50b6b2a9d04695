/**
 * The CLI (`npm run chat`, scripts/chat.ts) as a child process, watched while it runs: for
 * test/node/cli.test.ts and the CLI's approval prompts in test/node/approvals.test.ts. It runs the
 * CLI's bundle (tools/cli/cli-bundle.ts, built once per test run) with plain node, in the repository
 * as `npm run chat` does. With `tty`, it runs on a pseudo-terminal (util-linux `script`), so its
 * stdin is a terminal and `write` types into it; stdout and stderr then arrive together, as a
 * terminal shows them.
 */
import { spawn } from "node:child_process";
import { ROOT } from "../run/worker";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms after the start at which each piece of stdout arrived */
  pieces: { at: number; text: string }[];
  exitAt: number;
}

export interface CliProcess {
  done: Promise<CliRun>;
  /** Resolves once stdout holds `text` (rejects if the CLI ends first, or after `timeoutMs`). */
  printed(text: string, timeoutMs?: number): Promise<void>;
  /** Types into the CLI's stdin (with `tty`: its terminal). */
  write(text: string): void;
  /** What it printed so far. */
  stdout(): string;
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** `bundle`: the CLI's bundle (tools/cli/cli-bundle.ts `buildCliBundle`; in tests, `inject("cliBundle")`). */
export function cliProcess(bundle: string, args: string[], options: { tty?: boolean } = {}): CliProcess {
  const t0 = performance.now();
  const command = [process.execPath, bundle, ...args];
  const env = { ...process.env, CHATAPI_URL: "", CHATAPI_KEY: "", NO_COLOR: "1" };
  // Without `tty` stdin is nothing at all (not a terminal); with it, `script` passes what is written on.
  const child = options.tty
    ? spawn("script", ["-qfec", command.map(quote).join(" "), "/dev/null"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] })
    : spawn(command[0], command.slice(1), { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const run: CliRun = { code: null, stdout: "", stderr: "", pieces: [], exitAt: 0 };
  const watchers = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    run.stdout += text;
    run.pieces.push({ at: performance.now() - t0, text });
    for (const check of watchers) check();
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => (run.stderr += text));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      run.code = code;
      run.exitAt = performance.now() - t0;
      for (const check of watchers) check();
      resolve(run);
    });
  });
  const printed = (text: string, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`the CLI did not print ${JSON.stringify(text)} within ${timeoutMs} ms:\n${run.stdout}\n${run.stderr}`)), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        watchers.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (run.stdout.includes(text)) finish();
        else if (run.code !== null) finish(new Error(`the CLI ended (${run.code}) without printing ${JSON.stringify(text)}:\n${run.stdout}\n${run.stderr}`));
      };
      watchers.add(check);
      check();
    });
  const write = (text: string) => {
    if (!child.stdin) throw new Error("write needs { tty: true }");
    child.stdin.write(text);
  };
  return { done, printed, write, stdout: () => run.stdout };
}
