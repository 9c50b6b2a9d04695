/**
 * `npm start` as a newcomer runs it: the real scripts/start.ts, in a folder where
 * .dev.vars.example was copied to .dev.vars as is. It must chat (on the labelled demo upstream and
 * mock MCP server, without keys), not answer 503; and a placeholder left in .dev.vars counts as
 * not configured.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_LABEL } from "../../tools/demo-upstream";
import { isPlaceholder, localDefaults } from "../../tools/local-stack";
import { freePort, ROOT } from "../../tools/worker";

const EXAMPLE = join(ROOT, ".dev.vars.example");
const tsx = join(ROOT, "node_modules/tsx/dist/cli.mjs");

describe(".dev.vars.example", () => {
  it("leaves the endpoint, the MCP server and the keys empty, so npm start fills in all three", () => {
    const example = parseEnv(readFileSync(EXAMPLE, "utf8")) as Record<string, string>;
    expect(example.AZURE_OPENAI_ENDPOINT).toBe("");
    expect(localDefaults(example)).toEqual({ demoUpstream: true, mockMcp: true, anonymous: true });
  });

  it("counts an example's placeholder as not configured, and a real value as configured", () => {
    expect(isPlaceholder("https://YOUR-RESOURCE.openai.azure.com/")).toBe(true);
    expect(isPlaceholder("YOUR_KEY")).toBe(true);
    expect(isPlaceholder("https://my-resource.openai.azure.com/")).toBe(false);
    expect(localDefaults({ AZURE_OPENAI_ENDPOINT: "https://YOUR-RESOURCE.openai.azure.com/", API_KEYS: "k1" })).toEqual({ demoUpstream: true, mockMcp: true, anonymous: false });
    expect(localDefaults({ AZURE_OPENAI_ENDPOINT: "https://my-resource.openai.azure.com/", MCP_SERVER_URL: "http://127.0.0.1:3000/mcp", ALLOW_ANONYMOUS: "true" })).toEqual({ demoUpstream: false, mockMcp: false, anonymous: false });
  });
});

describe("npm start with .dev.vars.example copied as .dev.vars", () => {
  let dir: string;
  let child: ChildProcess;
  let output = "";
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "chatapi-start-"));
    copyFileSync(EXAMPLE, join(dir, ".dev.vars"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: Record<string, string | undefined> = { ...process.env, APP_HOST: "127.0.0.1", APP_PORT: String(port) };
    for (const name of ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "MCP_SERVER_URL", "MCP_AUTH_TOKEN", "API_KEYS", "ALLOW_ANONYMOUS"]) delete env[name];
    child = spawn(process.execPath, [tsx, join(ROOT, "scripts/start.ts")], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (c) => (output += c));
    child.stderr!.on("data", (c) => (output += c));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${output}`)), 60_000);
      child.stdout!.on("data", () => {
        if (output.includes("[chatapi] Ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("says what runs on local defaults", () => {
    expect(output).toContain("with .dev.vars");
    expect(output).toMatch(/\[chatapi\] DEMO upstream at http:\/\/127\.0\.0\.1:\d+\/: answers are canned/);
    expect(output).toMatch(/\[chatapi\] MOCK ModelScope MCP server at http:\/\/127\.0\.0\.1:\d+\/mcp/);
    expect(output).toContain("[chatapi] No API_KEYS set: serving without keys (ALLOW_ANONYMOUS=true)");
  });

  it("chats without a key on the demo upstream (not a 503), then stops everything it started on Ctrl-C", async () => {
    const res = await fetch(`${url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", "accept-language": "en" },
      body: JSON.stringify({ user_id: "newcomer", query: [{ role: "user", content: "Hello!" }] }),
    });
    expect(res.status).toBe(200);
    const envelope = (await res.json()) as { code: number; data: { answer: string } };
    expect(envelope.code).toBe(200);
    expect(envelope.data.answer.startsWith(DEMO_LABEL)).toBe(true);
    expect(envelope.data.answer).toContain('Your last message: "Hello!"');

    const demoUrl = /DEMO upstream at (http:\/\/[^ :]+:\d+\/)/.exec(output)![1];
    expect((await fetch(demoUrl)).ok).toBe(true);
    child.kill("SIGINT");
    await new Promise((resolve) => child.once("exit", resolve));
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await expect(fetch(demoUrl)).rejects.toThrow();
  });
});
