/**
 * `npm start`: the Worker under `wrangler dev` on APP_HOST:APP_PORT (127.0.0.1:8000 by default;
 * `npm start -- --port 9000` wins; other flags go to wrangler dev), with .dev.vars (or .env) and
 * the environment's settings, and labelled local defaults for what is not configured: see
 * tools/local-stack.ts. Ctrl-C stops everything it started.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { startLocalStack } from "../tools/local-stack";

/** Settings that may come from the environment when .dev.vars does not name them. */
const FROM_ENVIRONMENT = ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "MCP_SERVER_URL", "MCP_AUTH_TOKEN", "API_KEYS", "ALLOW_ANONYMOUS"];

const args = process.argv.slice(2);
const host = process.env.APP_HOST || "127.0.0.1";
const port = Number(flag("--port") ?? process.env.APP_PORT ?? "8000");
// As wrangler would read them: .dev.vars if there is one, else .env.
const varsFile = existsSync(".dev.vars") ? ".dev.vars" : existsSync(".env") ? ".env" : undefined;
const configured = varsFile ? (parseEnv(readFileSync(varsFile, "utf8")) as Record<string, string>) : {};
for (const name of FROM_ENVIRONMENT) if (!configured[name] && process.env[name]) configured[name] = process.env[name]!;

console.log(`[chatapi] Starting the Worker on http://${host}:${port} (wrangler dev)${varsFile ? ` with ${varsFile}` : ""}…`);
const stack = await startLocalStack({ configured, host, port, stdio: "inherit", args: withoutFlag(args, "--port") }).catch((error: Error) => {
  console.error(`[chatapi] ${error.message}`);
  process.exit(1);
});
for (const note of stack.notes) console.log(`[chatapi] ${note}`);
console.log(`[chatapi] Ready: open ${stack.url}/ (Ctrl-C stops everything)`);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
void stack.worker.exited.then((code) => stop(code ?? 0));

function flag(name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];
}

function withoutFlag(list: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    if (list[i] === name) i++;
    else if (!list[i].startsWith(`${name}=`)) out.push(list[i]);
  }
  return out;
}
