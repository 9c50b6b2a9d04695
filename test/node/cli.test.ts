/**
 * The CLI (`npm run chat`, scripts/chat.ts) as a user runs it, a child process, against the stack
 * `npm start` runs (demo upstream + ModelScope mock MCP server + the Worker's deployable bundle).
 * The tests start it about thirty times, so they run it as compiled once for the run
 * (tools/cli/cli-bundle.ts: esbuild, as tsx would, with plain node); the first runs `npm run chat` itself.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_LABEL } from "../../tools/fakes/demo-upstream";
import { startLocalStack, type LocalStack } from "../../tools/run/local-stack";
import { tinyPng } from "../../tools/png";
import { freePort, startWorker, type RunningWorker } from "../../tools/run/worker";
import { cliProcess as spawnCli, type CliRun } from "../../tools/cli/cli-process";
import { ROOT } from "../../tools/run/worker";
import { fakeRequests, newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import { startCutProxy } from "../../tools/fakes/cut-proxy";

const API_KEY = "cli-test-key-8d21";
const scratch = join(tmpdir(), `chatapi-cli-${process.pid}`);
let stack: LocalStack;
/** The Worker with the fake Azure as its upstream, for an answer paced on cue (long enough to stop it midway). */
let paced: RunningWorker;

beforeAll(async () => {
  mkdirSync(scratch, { recursive: true });
  // Both Workers boot side by side (seconds each; more than wrangler's usual minute for two at
  // once on a busy 2-core machine).
  const timeoutMs = 150_000;
  const [local, worker] = await Promise.allSettled([
    startLocalStack({ bundle: inject("workerBundle"), delayMs: 15, configured: { API_KEYS: API_KEY, ALLOW_ANONYMOUS: "true" }, timeoutMs }),
    startWorker({ bundle: inject("workerBundle"), vars: { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: "cli-fake-azure-key", ALLOW_ANONYMOUS: "true" }, timeoutMs }),
  ]);
  if (local.status === "fulfilled") stack = local.value;
  if (worker.status === "fulfilled") paced = worker.value;
  for (const started of [local, worker]) if (started.status === "rejected") throw started.reason; // afterAll stops what did start
}, 180_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), paced?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

type Run = CliRun;

/** A CLI run that can be watched while it runs: `printed(text)` resolves once stdout holds `text`. */
const cliProcess = (...args: string[]) => spawnCli(inject("cliBundle"), args);

const cli = (...args: string[]): Promise<Run> => cliProcess(...args).done;

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
  it("is what `npm run chat` runs (scripts/chat.ts under tsx): a chat's steps, answer and usage", async () => {
    const child = spawn("npm", ["run", "--silent", "chat", "--", "json please", "--url", stack.url, "--format", "json"], {
      cwd: ROOT,
      env: { ...process.env, CHATAPI_URL: "", CHATAPI_KEY: "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^✔ Success System {6}请求处理完成 \(\d+ ms\)$/m);
    expect(stdout).toContain('Your last message: "json please"');
    expect(stdout).toMatch(/^usage: \d+ prompt \+ \d+ completion = \d+ tokens · request req_\w+/m);
  });

  it("prints the steps live, the answer as it streams, and the usage at the end", async () => {
    const run = await cli("帮我找一个 qwen 模型", "--url", stack.url);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("▶ Start   System      开始处理用户 cli_user 的请求");
    expect(lines).toContain("▶ Start   MCP         调用工具 search_models");
    expect(lines).toContain('    parameters: {"tool":"search_models","server":"mcp","arguments":{"query":"qwen","limit":5}}');
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
    // Separate processes: run side by side.
    const [denied, invalid] = await Promise.all([cli("你好", "--url", stack.url, "--key", "wrong-key"), cli("你好", "--url", stack.url, "--user", "u".repeat(200))]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error 401: Invalid API key \(request req_\w+\)\n$/);

    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^error 400: .*user_id/);
  });

  it("refuses bad arguments and files before sending (exit 2)", async () => {
    const text = join(scratch, "notes.png");
    writeFileSync(text, "not an image");
    const [notImage, badFormat] = await Promise.all([cli("看图", "--image", text, "--url", stack.url), cli("hi", "--format", "xml")]);
    expect(notImage.code).toBe(2);
    expect(notImage.stderr).toMatch(/^notes\.png is not a PNG, JPEG, WebP or GIF image\n/);

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

describe("npm run chat: resumable chats (--chat, --resume, --after, --stop)", () => {
  const chatId = () => `cli_${crypto.randomUUID().slice(0, 12)}`;
  /** The demo upstream quotes up to 500 characters back, 1–3 CJK characters a piece, 15 ms apart: a few seconds of answer. */
  const LONG = `请原样复述：${"一二三四五六七八九十".repeat(45)}`;
  /** The transcript without the one line that differs from run to run: the time taken. */
  const transcript = (run: Run) => run.stdout.replace(/ · \d+\.\d s\n$/, "\n");

  it("--chat sends chat_id; --resume prints the same run again, whole, and --after N only what came after event N", async () => {
    const id = chatId();
    const first = await cli("你好", "--chat", id, "--url", stack.url);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("你最后说：「你好」");

    const again = await cli("--chat", id, "--resume", "--url", stack.url);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(transcript(again)).toBe(transcript(first));

    // Events 1 to 3 are the System start and the InputParser's start and end: one line each.
    const rest = await cli("--chat", id, "--resume", "--after", "3", "--url", stack.url, "--format", "sse");
    expect(rest.code).toBe(0);
    const lines = transcript(first).split("\n");
    expect(lines.slice(0, 3).map((l) => l.slice(0, 21))).toEqual(["▶ Start   System     ", "▶ Start   InputParser", "✔ Success InputParser"]);
    expect(transcript(rest)).toBe(lines.slice(3).join("\n"));
  });

  it("--resume from a second terminal follows a live run; --stop ends both with error 499 and prints what was stopped", async () => {
    const id = chatId();
    const nonce = newNonce("cli-stop");
    // 300 pieces ("w0 ", "w1 ", …) 50 ms apart: mid-answer for 15 s.
    const writer = cliProcess(`[[fake:chunks n=300 delay=50]] ${nonce}`, "--chat", id, "--url", paced.url);
    await writer.printed("answer:");
    const reader = cliProcess("--chat", id, "--resume", "--url", paced.url);
    await reader.printed("answer:");
    const stop = await cli("--chat", id, "--stop", "--url", paced.url);
    expect(stop.stderr).toBe("");
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^✘ Error   System {6}\S/m);
    expect(stop.stdout).toContain(`stopped chat ${id}: its readers' streams end with error 499`);

    const [wrote, read] = await Promise.all([writer.done, reader.done]);
    const answerOf = (run: Run) => /answer:\n([^]*?)\n(?:✘ Error|error 499)/.exec(run.stdout)?.[1];
    for (const run of [wrote, read]) {
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^error 499: /m);
      expect(answerOf(run)).toMatch(/^w0 w1 (w\d+ )*$/);
      expect(run.stdout).not.toContain("w299");
    }
    expect(answerOf(read)).toBe(answerOf(wrote));
    // The upstream request was cancelled before its end.
    const [record] = await waitForFake(inject("fakeAzureUrl"), nonce, (r) => r[0]?.closedByClientAt !== null, 5000);
    expect(record.finished).toBe(false);
    expect((await cli("--chat", id, "--stop", "--url", paced.url)).stderr).toMatch(/^error 404: This chat has no run going/);
  }, 60_000); // four CLI processes and a 15 s paced answer: over 30 s on a busy 2-core machine

  it("--chat survives a severed connection: a note on stderr, and every piece of the answer printed once", async () => {
    const proxy = await startCutProxy(stack.url);
    try {
      const id = chatId();
      const writer = cliProcess(LONG, "--chat", id, "--url", proxy.url);
      await writer.printed("一二三四五六七八九十一二三");
      expect(proxy.cut()).toBeGreaterThan(0);
      const run = await writer.done;
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^connection lost after event \d+ \(terminated\); reconnecting in 250 ms \(attempt 1\)…\n$/);
      expect(run.stdout).toContain(`「${LONG}」`);
      // The same run read again in one piece is the same transcript: nothing lost, nothing twice.
      expect(transcript(run)).toBe(transcript(await cli("--chat", id, "--resume", "--url", stack.url)));
    } finally {
      await proxy.close();
    }
  });

  it("refuses what makes no sense before sending (exit 2), and says when there is nothing to resume (exit 1)", async () => {
    const cases: [string[], RegExp][] = [
      [["--resume"], /^--resume needs --chat ID\n/],
      [["--stop"], /^--stop needs --chat ID\n/],
      [["hi", "--chat", "no spaces"], /^--chat must be 1 to 128 characters of A-Z a-z 0-9 _ -, not "no spaces"\n/],
      [["hi", "--chat", "c1", "--after", "3"], /^--after goes with --resume\n/],
      [["--chat", "c1", "--resume", "--after", "7x"], /^--after must be a whole number \(the last event's seq you have\), not 7x\n/],
      [["--chat", "c1", "--resume", "--format", "json"], /^--resume streams: --format ndjson or sse\n/],
      [["hello", "--chat", "c1", "--resume"], /^--resume sends no message: leave out "hello"\n/],
    ];
    // All at once: each is a whole tsx start-up, seconds apiece on a busy machine.
    const [runs, nothing] = await Promise.all([Promise.all(cases.map(([args]) => cli(...args, "--url", stack.url))), cli("--chat", chatId(), "--resume", "--url", stack.url)]);
    cases.forEach(([args, message], i) => {
      expect(runs[i].code, args.join(" ")).toBe(2);
      expect(runs[i].stderr).toMatch(message);
    });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^error 204: Nothing to resume: no chat "cli_[\w-]+" was started with this key, or its events expired \(request req_[0-9a-f]{12}\)\n$/);
  }, 60_000); // eight CLI processes: over 20 s on a busy 2-core machine
});

describe("npm run chat: conversations kept by the service (--history server, --chats, --messages, --delete)", () => {
  const chatId = () => `cli_${crypto.randomUUID().slice(0, 12)}`;
  const userId = () => `cli_user_${crypto.randomUUID().slice(0, 8)}`;
  /** What the fake Azure was sent for the request whose text carries `nonce`. */
  async function modelInput(nonce: string) {
    const [record] = await fakeRequests(inject("fakeAzureUrl"), nonce);
    return (JSON.parse(record.body) as { messages: { role: string; content: unknown }[] }).messages;
  }

  it("--history server: each run sends only its new message; without --chat it makes one up and says so; the model gets the earlier turn first", async () => {
    const first = await cli("the first question", "--history", "server", "--url", paced.url);
    expect(first.code).toBe(0);
    const [, id] = /^chat (cli_[0-9a-f]{12}): the service keeps this conversation; go on with --chat \1 --history server\n$/.exec(first.stderr) ?? [];
    expect(id, first.stderr).toBeDefined();
    expect(first.stdout).toContain("answer:\necho: the first question\n");

    const nonce = newNonce("cli-history");
    const second = await cli(`the second question ${nonce}`, "--chat", id, "--history", "server", "--url", paced.url);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`answer:\necho: the second question ${nonce}\n`);
    expect((await modelInput(nonce)).map((m) => [m.role, JSON.stringify(m.content)])).toEqual([
      ["user", JSON.stringify([{ type: "text", text: "the first question" }])],
      ["assistant", JSON.stringify("echo: the first question")],
      ["user", JSON.stringify(`the second question ${nonce}`)],
    ]);
  });

  it("--messages prints the stored conversation (ids, images, status, usage); --replace-from MSG_ID edits a question and regenerates", async () => {
    const id = chatId();
    const user = userId();
    const png = join(scratch, "kept.png");
    writeFileSync(png, tinyPng(2, 2));
    expect((await cli("look at this", "--image", png, "--chat", id, "--history", "server", "--user", user, "--url", paced.url)).code).toBe(0);
    expect((await cli("and then?", "--chat", id, "--history", "server", "--user", user, "--url", paced.url)).code).toBe(0);

    const view = await cli("--chat", id, "--messages", "--url", paced.url);
    expect(view.stderr).toBe("");
    expect(view.code).toBe(0);
    const lines = view.stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^chat ${id} · user ${user} · 4 messages · updated \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`));
    const headers = lines.filter((l) => l.startsWith("── "));
    expect(headers).toHaveLength(4);
    expect(headers[0]).toMatch(/^── user · \S+ · \S+Z$/);
    expect(headers[1]).toMatch(/^── assistant · req_\w+ · \S+Z · done · \d+ prompt \+ \d+ completion = \d+ tokens$/);
    expect(view.stdout).toMatch(new RegExp(`\\nlook at this\\n\\[image /api/chat/${id}/files/file_\\w+\\]\\n`));
    expect(view.stdout).toContain("\nand then?\n");
    expect(view.stdout).toContain("\necho: and then?\n");

    // Edit the second question: its id is on its header line.
    const secondId = headers[2].split(" · ")[1];
    const nonce = newNonce("cli-edit");
    const edited = await cli(`and now? ${nonce}`, "--chat", id, "--history", "server", "--replace-from", secondId, "--user", user, "--url", paced.url);
    expect(edited.code).toBe(0);
    expect((await modelInput(nonce)).map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    const after = await cli("--chat", id, "--messages", "--url", paced.url);
    expect(after.stdout).not.toContain("and then?");
    expect(after.stdout).toContain(`\necho: and now? ${nonce}\n`);
    expect(after.stdout.split("\n")[0]).toContain(" · 4 messages · ");
  });

  it("--chats lists --user's chats newest first, --limit and --cursor page them; a user with none is told so", async () => {
    const user = userId();
    const ids = [chatId(), chatId()];
    for (const id of ids) expect((await cli(`hello from ${id}`, "--chat", id, "--history", "server", "--user", user, "--url", paced.url)).code).toBe(0);

    const page = await cli("--chats", "--user", user, "--limit", "1", "--url", paced.url);
    expect(page.stderr).toBe("");
    expect(page.code).toBe(0);
    const [line, more] = page.stdout.trimEnd().split("\n");
    expect(line).toMatch(new RegExp(`^${ids[1]}  \\S+Z  2 messages {4}hello from ${ids[1]}$`));
    const [, cursor] = new RegExp(`^more: --chats --user ${user} --limit 1 --cursor (\\S+)$`).exec(more) ?? [];
    expect(cursor, more).toBeDefined();
    const next = await cli("--chats", "--user", user, "--limit", "1", "--cursor", cursor, "--url", paced.url);
    expect(next.stdout).toMatch(new RegExp(`^${ids[0]}  \\S+Z  2 messages {4}hello from ${ids[0]}\\n$`));

    const all = await cli("--chats", "--user", user, "--url", paced.url);
    expect(all.stdout.trimEnd().split("\n").map((l) => l.split(" ")[0])).toEqual([ids[1], ids[0]]);
    const none = await cli("--chats", "--user", userId(), "--url", paced.url);
    expect(none.stdout).toMatch(/^no chats kept for user cli_user_\w+ under this key\n$/);
  });

  it("--delete deletes the chat: --messages then says 404 (exit 1), and so does a second --delete", async () => {
    const id = chatId();
    expect((await cli("forget me", "--chat", id, "--history", "server", "--url", paced.url)).code).toBe(0);
    const deleted = await cli("--chat", id, "--delete", "--url", paced.url);
    expect(deleted.stderr).toBe("");
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`deleted chat ${id}: its messages, events and images are gone\n`);

    const [view, again] = await Promise.all([cli("--chat", id, "--messages", "--url", paced.url), cli("--chat", id, "--delete", "--url", paced.url)]);
    for (const run of [view, again]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error 404: .+ \(request req_\w+\)\n$/);
    }
  });

  it("refuses what makes no sense before sending (exit 2)", async () => {
    const cases: [string[], RegExp][] = [
      [["hi", "--history", "client"], /^--history must be server \(the service keeps the conversation\), not client\n/],
      [["hi", "--chat", "c1", "--replace-from", "msg_1"], /^--replace-from goes with --history server\n/],
      [["--messages"], /^--messages needs --chat ID\n/],
      [["--delete"], /^--delete needs --chat ID\n/],
      [["--chats", "--chat", "c1"], /^--chats lists the chats of --user: leave out --chat/],
      [["--chats", "--limit", "0"], /^--limit must be a whole number from 1 to 100, not 0\n/],
      [["hi", "--limit", "5"], /^--limit goes with --chats\n/],
      [["--chat", "c1", "--messages", "--delete"], /^--messages and --delete don't go together\n/],
      [["hello", "--chat", "c1", "--messages"], /^--messages sends no message: leave out "hello"\n/],
      [["--chat", "c1", "--delete", "--history", "server"], /^--history server goes with a message, not --delete\n/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(...args, "--url", stack.url)));
    cases.forEach(([args, message], i) => {
      expect(runs[i].code, args.join(" ")).toBe(2);
      expect(runs[i].stderr).toMatch(message);
    });
  }, 60_000);
});
