/**
 * `npm start`: runs the Worker with `wrangler dev` on APP_HOST:APP_PORT (127.0.0.1:8000 by
 * default; `npm start -- --port 9000` wins). What is not configured in .dev.vars (or the
 * environment) is filled with clearly labelled local defaults, started here:
 *   - no AZURE_OPENAI_ENDPOINT → the local demo upstream (Azure's wire format, deterministic
 *     answers labelled as demo, never GPT-4.1);
 *   - no MCP_SERVER_URL → the ModelScope mock MCP server;
 *   - no API_KEYS → ALLOW_ANONYMOUS=true (local development only).
 * Ctrl-C stops everything it started.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { startDemoUpstream } from "./demo-upstream";
import { startMockMcpServer } from "./mock-mcp-server";

const args = process.argv.slice(2);
const host = process.env.APP_HOST || "127.0.0.1";
const port = flag("--port") ?? process.env.APP_PORT ?? "8000";
// As wrangler reads them: .dev.vars if there is one, else .env.
const varsFile = existsSync(".dev.vars") ? ".dev.vars" : existsSync(".env") ? ".env" : undefined;
const configured = varsFile ? (parseEnv(readFileSync(varsFile, "utf8")) as Record<string, string>) : {};
const isSet = (name: string) => Boolean((configured[name] ?? process.env[name] ?? "").trim());

const vars: Record<string, string> = {};
const notes: string[] = [];
const closers: (() => Promise<void>)[] = [];

for (const name of ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "MCP_SERVER_URL", "MCP_AUTH_TOKEN", "API_KEYS", "ALLOW_ANONYMOUS"]) {
  if (!configured[name] && process.env[name]) vars[name] = process.env[name]!;
}

if (!isSet("AZURE_OPENAI_ENDPOINT")) {
  const demo = await startDemoUpstream({ port: 0, host: "127.0.0.1" });
  closers.push(demo.close);
  Object.assign(vars, { AZURE_OPENAI_ENDPOINT: demo.url, AZURE_OPENAI_API_KEY: "local-demo-key", DEMO_UPSTREAM: "true" });
  notes.push(`DEMO upstream at ${demo.url}: answers are canned from what it receives, NOT GPT-4.1. Fill in .dev.vars (see .dev.vars.example) for real Azure OpenAI.`);
} else {
  notes.push("Azure OpenAI: using AZURE_OPENAI_ENDPOINT from your configuration.");
}

if (!isSet("MCP_SERVER_URL")) {
  const mcp = await startMockMcpServer({ port: 0, host: "127.0.0.1" });
  closers.push(mcp.close);
  vars.MCP_SERVER_URL = mcp.url;
  notes.push(`MOCK ModelScope MCP server at ${mcp.url} (fixture data, not the real ModelScope).`);
}

if (!isSet("API_KEYS") && !isSet("ALLOW_ANONYMOUS")) {
  vars.ALLOW_ANONYMOUS = "true";
  notes.push("No API_KEYS set: serving without keys (ALLOW_ANONYMOUS=true), for local development only.");
}

// What we add goes to wrangler in a private env file after the user's own, never on the command
// line, where `ps` would show a key taken from the environment.
const secretsDir = mkdtempSync(join(tmpdir(), "chatapi-start-"));
const extraVars = join(secretsDir, "vars.env");
writeFileSync(extraVars, Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`).join("\n") + "\n", { mode: 0o600 });
closers.push(async () => rmSync(secretsDir, { recursive: true, force: true }));
const envFiles = [...(varsFile ? [varsFile] : []), extraVars].flatMap((f) => ["--env-file", f]);
const passThrough = withoutFlag(args, "--port");
const wranglerArgs = ["dev", "--ip", host, "--port", port, ...envFiles, ...passThrough];
const wranglerBin = new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url).pathname;

for (const note of notes) console.log(`[chatapi] ${note}`);
console.log(`[chatapi] Starting the Worker on http://${host}:${port} (wrangler dev)…`);

const child = spawn(process.execPath, [wranglerBin, ...wranglerArgs], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (child.exitCode === null) child.kill("SIGTERM");
  await Promise.allSettled(closers.map((close) => close()));
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
child.on("exit", (code) => void stop(code ?? 0));

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

/** A dotenv value: quoted with a quote character it does not contain (dotenv has no escapes). */
function quote(value: string): string {
  const q = ["'", '"', "`"].find((c) => !value.includes(c));
  if (!q || /[\r\n]/.test(value)) throw new Error("a configuration value has quotes of every kind or a line break");
  return q + value + q;
}
