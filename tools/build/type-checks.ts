/**
 * The repository's type checks: one `tsc --noEmit` per tsconfig (the Worker with its tests, the
 * Node side, the typed client as it ships), run side by side as child processes, each one's output
 * kept until it ends. `npm run check:types` runs them alone; `npm test` beside vitest at a lower
 * CPU priority (scripts/test.ts), so they use what the tests leave idle instead of adding half a
 * minute before them.
 */
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url));

/** tsc's arguments for each program. */
export const TYPE_CHECKS: readonly (readonly string[])[] = [
  ["--noEmit", "-p", "tsconfig.json"],
  ["--noEmit", "-p", "tsconfig.node.json"],
  ["--noEmit", "--emitDeclarationOnly", "false", "-p", "client/tsconfig.json"],
];

export interface TypeCheckResult {
  /** e.g. `tsc --noEmit -p tsconfig.json` */
  command: string;
  ok: boolean;
  /** What tsc printed (its errors). */
  output: string;
}

/** Runs every type check at once; `niceness` (0–19, where supported) lowers their CPU priority. */
export function runTypeChecks(options: { niceness?: number } = {}): Promise<TypeCheckResult[]> {
  return Promise.all(
    TYPE_CHECKS.map(
      (args) =>
        new Promise<TypeCheckResult>((resolve) => {
          const command = `tsc ${args.join(" ")}`;
          const child = spawn(process.execPath, [TSC, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
          if (options.niceness && child.pid !== undefined) {
            try {
              setPriority(child.pid, options.niceness);
            } catch {
              // not permitted here: it runs at normal priority
            }
          }
          let output = "";
          child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
          child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
          child.once("error", (error) => resolve({ command, ok: false, output: String(error) }));
          child.once("close", (code) => resolve({ command, ok: code === 0, output }));
        }),
    ),
  );
}

/** One line per check, then the output of those that failed. */
export function describeTypeChecks(results: TypeCheckResult[]): string {
  const lines = results.map((r) => `${r.ok ? "✓" : "✗"} ${r.command}`);
  const failed = results.filter((r) => !r.ok).map((r) => `\n${r.command}:\n${r.output.trimEnd()}`);
  return [...lines, ...failed].join("\n");
}
