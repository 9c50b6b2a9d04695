/**
 * The CLI (`npm run chat`, scripts/chat.ts) as a user runs it, a child process under tsx, against
 * the stack `npm start` runs (demo upstream + ModelScope mock MCP server + `wrangler dev`).
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_LABEL } from "../../tools/demo-upstream";
import { startLocalStack, type LocalStack } from "../../tools/local-stack";
import { tinyPng } from "../../tools/png";
import { freePort, ROOT } from "../../tools/worker";

const tsx = fileURLToPath(new URL("../../node_modules/tsx/dist/cli.mjs", import.meta.url));
const API_KEY = "cli-test-key-8d21";
const scratch = join(tmpdir(), `chatapi-cli-${process.pid}`);
let stack: LocalStack;

beforeAll(async () => {
  mkdirSync(scratch, { recursive: true });
  stack = await startLocalStack({ delayMs: 15, configured: { API_KEYS: API_KEY, ALLOW_ANONYMOUS: "true" } });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms after the start at which each piece of stdout arrived */
  pieces: { at: number; text: string }[];
  exitAt: number;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [tsx, "scripts/chat.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, CHATAPI_URL: "", CHATAPI_KEY: "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const run: Run = { code: null, stdout: "", stderr: "", pieces: [], exitAt: 0 };
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      run.stdout += text;
      run.pieces.push({ at: performance.now() - t0, text });
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => (run.stderr += text));
    child.once("error", reject);
    child.once("close", (code) => {
      run.code = code;
      run.exitAt = performance.now() - t0;
      resolve(run);
    });
  });
}

/** When (ms after the start) stdout first contained `text`. */
function seenAt(run: Run, text: string): number {
  let sofar = "";
  for (const piece of run.pieces) {
    sofar += piece.text;
    if (sofar.includes(text)) return piece.at;
  }
  throw new Error(`never printed: ${text}\n${run.stdout}`);
}

describe("npm run chat", () => {
  it("prints the steps live, the answer as it streams, and the usage at the end", async () => {
    const run = await cli("帮我找一个 qwen 模型", "--url", stack.url);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("▶ Start   System      开始处理用户 cli_user 的请求");
    expect(lines).toContain("▶ Start   MCP         调用工具 search_models");
    expect(lines).toContain('    parameters: {"tool":"search_models","arguments":{"query":"qwen","limit":5}}');
    expect(run.stdout).toMatch(/^✔ Success MCP {9}工具 search_models 调用成功 \(\d+ ms\)$/m);
    expect(run.stdout).toMatch(/^✔ Success System {6}请求处理完成 \(\d+ ms\)$/m);
    expect(run.stdout).toContain(`answer:\n${DEMO_LABEL}工具 search_models 返回了结果`);
    expect(lines.at(-2)).toMatch(/^usage: \d+ prompt \+ \d+ completion = \d+ tokens · request req_\w+ · \d+\.\d s$/);
    expect(lines.at(-1)).toBe("");

    // Live: the first step and the first words of the answer were printed long before the end.
    const firstStep = seenAt(run, "Start   System");
    const answerStart = seenAt(run, DEMO_LABEL);
    const answerEnd = seenAt(run, "Qwen/QwQ-32B");
    expect(answerEnd - answerStart).toBeGreaterThan(500);
    expect(answerStart).toBeGreaterThan(firstStep);
    expect(run.exitAt - firstStep).toBeGreaterThan(1000);
  });

  it("sends an image, streams SSE, speaks English", async () => {
    const png = join(scratch, "cat.png");
    writeFileSync(png, tinyPng(48, 32));
    const run = await cli("What is in this image?", "--image", png, "--url", stack.url, "--format", "sse", "--lang", "en", "--key", API_KEY);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✔ Success InputParser Parsing input: 1 message, 1 image \(\d+ ms\)$/m);
    expect(run.stdout).toContain("It contains 1 image: image 1: PNG, 48×32 pixels.");
    expect(run.stdout).toMatch(/^✔ Success System {6}Request completed \(\d+ ms\)$/m);
    expect(run.stdout).toMatch(/^usage: \d+ prompt/m);
  });

  it("prints the JSON form: the final steps, the answer and the usage", async () => {
    const run = await cli("json please", "--url", stack.url, "--format", "json", "--system", "Be brief.");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("▶ Start");
    expect(run.stdout).toMatch(/^✔ Success InputParser 解析输入：2 条消息，0 张图片 \(\d+ ms\)$/m);
    expect(run.stdout).toContain('Your last message: "json please"');
    expect(run.stdout).toMatch(/^usage: \d+ prompt \+ \d+ completion = \d+ tokens · request req_\w+/m);
  });

  it("reports the server's error envelopes and exits 1", async () => {
    const denied = await cli("你好", "--url", stack.url, "--key", "wrong-key");
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error 401: Invalid API key \(request req_\w+\)\n$/);

    const invalid = await cli("你好", "--url", stack.url, "--user", "u".repeat(200));
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^error 400: .*user_id/);
  });

  it("refuses bad arguments and files before sending (exit 2)", async () => {
    const text = join(scratch, "notes.png");
    writeFileSync(text, "not an image");
    const notImage = await cli("看图", "--image", text, "--url", stack.url);
    expect(notImage.code).toBe(2);
    expect(notImage.stderr).toMatch(/^notes\.png is not a PNG, JPEG, WebP or GIF image\n/);

    const badFormat = await cli("hi", "--format", "xml");
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/^--format must be ndjson, sse or json, not xml\nusage:/);
  });

  it("--selftest passes all six checks against the running stack", async () => {
    const run = await cli("--selftest", stack.url);
    expect(run.stderr).toBe("");
    const results = run.stdout.split("\n").filter((l) => /^[✔✘] (PASS|FAIL)/.test(l));
    expect(results.map((l) => l.replace(/:.*/, ""))).toEqual([
      "✔ PASS health",
      "✔ PASS text only",
      "✔ PASS text with an image",
      "✔ PASS several query items",
      "✔ PASS streaming",
      "✔ PASS MCP tool path",
    ]);
    expect(run.stdout).toContain("✔ PASS MCP tool path: called search_models");
    expect(run.stdout).toContain("all 6 checks passed");
    expect(run.code).toBe(0);
  }, 60_000);

  it("--selftest fails (exit 1) and says why when nothing answers", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await cli("--selftest", url);
    expect(run.code).toBe(1);
    const fails = run.stdout.split("\n").filter((l) => l.startsWith("✘ FAIL"));
    expect(fails).toHaveLength(6);
    expect(fails[0]).toMatch(/^✘ FAIL health: fetch failed \(ECONNREFUSED\)/);
    expect(run.stdout).toContain("6 of 6 checks failed");
  });
});
