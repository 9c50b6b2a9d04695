/**
 * `npm start`: the Worker under wrangler's dev server on APP_HOST:APP_PORT (127.0.0.1:8000 by
 * default; `npm start -- --port 9000` wins), with .dev.vars (or .env) and the environment's
 * settings, and labelled local defaults for what is not configured: see tools/run/local-stack.ts.
 * Ctrl-C stops everything it started. It runs as `node --import tsx scripts/start.ts`, one process
 * that gets Ctrl-C itself: under the `tsx` command, which relays signals to its child, a child that
 * did not acknowledge one within about 60 ms (a busy machine) was killed outright (SIGKILL), and
 * wrangler and workerd went on running without it (seen once in the npm start test). `npm run
 * bench` and `npm run load`, which start workerd and wrangler too, run the same way.
 *
 * The DevTools inspector is off: the dev server is started through wrangler's API, as the CLI
 * cannot leave the inspector out, and the CLI's inspector proxy was left holding thousands of
 * half-closed sockets after one 10 MB answer, hanging every later request. Local storage
 * (.wrangler/state) and reloading on source changes are as with the CLI. `npm start -- --inspect`
 * runs the `wrangler dev` CLI with its inspector instead; other flags are passed to it then.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { startLocalStack, type LocalStack } from "../tools/run/local-stack";
import { PortInUseError } from "../tools/run/worker";

/** Settings that may come from the environment when .dev.vars does not name them. */
const FROM_ENVIRONMENT = [
  "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "UPSTREAM", "OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL",
  "MCP_SERVER_URL", "MCP_AUTH_TOKEN", "API_KEYS", "ALLOW_ANONYMOUS",
];

const args = process.argv.slice(2);
const inspect = args.includes("--inspect");
const passed = withoutFlag(withoutFlag(args, "--port"), "--inspect", false);
if (!inspect && passed.length) {
  console.error(`[chatapi] ${passed.join(" ")}: wrangler dev flags need the CLI, which runs with its DevTools inspector: add --inspect (npm start -- --inspect ${passed.join(" ")}), or use npm run dev`);
  process.exit(2);
}
const host = process.env.APP_HOST || "127.0.0.1";
const port = Number(flag("--port") ?? process.env.APP_PORT ?? "8000");
// As wrangler would read them: .dev.vars if there is one, else .env.
const varsFile = existsSync(".dev.vars") ? ".dev.vars" : existsSync(".env") ? ".env" : undefined;
const configured = varsFile ? (parseEnv(readFileSync(varsFile, "utf8")) as Record<string, string>) : {};
for (const name of FROM_ENVIRONMENT) if (!configured[name] && process.env[name]) configured[name] = process.env[name]!;

// Ctrl-C (or SIGTERM) while it boots: what it started stops once the boot is over, instead of this
// process dying at once and leaving wrangler and workerd running without it (and their env file of
// settings on disk). A second one while it boots leaves at once.
let booted: LocalStack | undefined;
let stopAsked = false;
let stopping = false;
function stop(code: number): void {
  if (!booted) {
    if (stopAsked) process.exit(130);
    stopAsked = true;
    console.log("[chatapi] Stopping once the Worker is up (again to leave at once)…");
    return;
  }
  if (stopping) return;
  stopping = true;
  void booted.stop().then(() => process.exit(code));
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

console.log(`[chatapi] Starting the Worker on http://${host}:${port} (${inspect ? "wrangler dev" : "wrangler's dev server"})${varsFile ? ` with ${varsFile}` : ""}…`);
const stack = await startLocalStack({
  configured,
  // The mock's get_model_info waits for approval: ask the page about a model id
  // ("介绍一下 Qwen/Qwen2.5-7B-Instruct 的详情") to see Approve / Deny.
  mockApproval: ["get_model_info"],
  host,
  port,
  stdio: "inherit",
  ...(inspect ? { inspector: true, args: passed } : { inspector: false, persist: true, watch: true }),
}).catch((error: Error) => {
  if (error instanceof PortInUseError) {
    const other = error.port + 1;
    console.error(
      `[chatapi] Port ${error.port} on ${error.host} is in use by another process: stop it, or choose another port ` +
        `(APP_PORT=${other} npm start, or npm start -- --port ${other}).`,
    );
  } else console.error(`[chatapi] ${error.message}`);
  process.exit(1);
});
for (const note of stack.notes) console.log(`[chatapi] ${note}`);
console.log(
  varsFile
    ? `[chatapi] Settings were read from ${varsFile} at start: restart npm start after changing it (source files reload by themselves).`
    : "[chatapi] No .dev.vars: copy .dev.vars.example to .dev.vars to configure, then restart npm start (source files reload by themselves).",
);
console.log(
  inspect
    ? `[chatapi] DevTools inspector on, port ${stack.worker.inspectorPort} (wrangler dev's CLI; its proxy slows large answers down)`
    : "[chatapi] DevTools inspector off (npm start -- --inspect turns it on)",
);
booted = stack;
if (stopAsked) stop(0);
else console.log(`[chatapi] Ready: open ${stack.url}/ (Ctrl-C stops everything)`);
void stack.worker.exited.then((code) => stop(code ?? 0));

function flag(name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];
}

/** `list` without the flag `name` (and its value, when it takes one). */
function withoutFlag(list: string[], name: string, takesValue = true): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    if (list[i] === name) i += takesValue ? 1 : 0;
    else if (!list[i].startsWith(`${name}=`)) out.push(list[i]);
  }
  return out;
}
