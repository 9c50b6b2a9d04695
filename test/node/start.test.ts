/**
 * `npm start` as a newcomer runs it: the real scripts/start.ts, in a folder where
 * .dev.vars.example was copied to .dev.vars as is. It must chat (on the labelled demo upstream and
 * mock MCP server, without keys), not answer 503; and a placeholder left in .dev.vars counts as
 * not configured. Ctrl-C stops every process it started.
 *
 * The DevTools inspector is off unless `--inspect`: no port of npm start's processes speaks the
 * DevTools protocol, and a 10 MB answer (20,000 chunks, as in the issue where the CLI's inspector
 * proxy was left holding thousands of half-closed sockets and later requests hung) is followed by
 * a small chat that answers at once, with no pile of sockets left behind. `--inspect` turns it on.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_LABEL_EN } from "../../tools/fakes/demo-upstream";
import { newNonce, scriptFake, waitForFake } from "../../tools/fakes/fake-azure-client";
import { corsNote, isPlaceholder, keysNote, localDefaults } from "../../tools/run/local-stack";
import { readNdjsonTimed } from "../../tools/ndjson";
import { hasProc, listeningPorts, processName, processTree, socketCount } from "../../tools/lab/proc";
import { freePort, ROOT } from "../../tools/run/worker";

const EXAMPLE = join(ROOT, ".dev.vars.example");
/**
 * What `npm start` runs: `node --import tsx scripts/start.ts` (one process; tsx's loader named by
 * its file, as the test's folder has no node_modules to resolve `tsx` from).
 */
const TSX_LOADER = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const NPM_START = ["--import", TSX_LOADER];
const START = join(ROOT, "scripts/start.ts");

/** `npm start` (scripts/start.ts) in `dir`, with APP_PORT and no settings from the environment. */
function spawnStart(dir: string, port: number, flags: string[] = []): { child: ChildProcess; output: () => string } {
  const env: Record<string, string | undefined> = { ...process.env, APP_HOST: "127.0.0.1", APP_PORT: String(port) };
  const fromEnvironment = ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "UPSTREAM", "OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL", "MCP_SERVER_URL", "MCP_AUTH_TOKEN", "API_KEYS", "ALLOW_ANONYMOUS"];
  for (const name of fromEnvironment) delete env[name];
  const child = spawn(process.execPath, [...NPM_START, START, ...flags], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  return { child, output: () => output };
}

/** Resolves once npm start says it is ready. */
function ready(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // Generous: three boot at once, beside other test files on two cores.
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${output()}`)), 120_000);
    child.stdout!.on("data", () => {
      if (output().includes("[chatapi] Ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`npm start exited (${code}):\n${output()}`)));
  });
}

async function stopStart(child: ChildProcess | undefined): Promise<void> {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
}

interface Started {
  dir: string;
  child: ChildProcess;
  output: () => string;
  url: string;
}

/**
 * `npm start` in a fresh folder holding `.dev.vars` (copied from .dev.vars.example, or these
 * lines), ready. It listens on APP_PORT, or with `portFlag` on the port given by `--port`, which wins.
 */
async function npmStartIn(devVars: { example: true } | { lines: string[] }, options: { portFlag?: number; flags?: string[] } = {}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), "chatapi-start-"));
  if ("example" in devVars) copyFileSync(EXAMPLE, join(dir, ".dev.vars"));
  else writeFileSync(join(dir, ".dev.vars"), devVars.lines.join("\n") + "\n");
  const appPort = await freePort();
  const flags = [...(options.portFlag === undefined ? [] : ["--port", String(options.portFlag)]), ...(options.flags ?? [])];
  const started = spawnStart(dir, appPort, flags);
  try {
    await ready(started.child, started.output);
  } catch (error) {
    await stopStart(started.child);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, ...started, url: `http://127.0.0.1:${options.portFlag ?? appPort}` };
}

/**
 * The `npm start`s below boot side by side as the file starts (each takes seconds, mostly
 * waiting); each describe awaits its own. All are stopped, and their folders removed, at the end.
 */
const booting: Promise<Started>[] = [];
function bootEarly(boot: () => Promise<Started>): () => Promise<Started> {
  let started: Promise<Started> | undefined;
  beforeAll(() => {
    started = boot();
    started.catch(() => {}); // reported by the describe that awaits it
    booting.push(started);
  });
  return () => started!;
}
afterAll(async () => {
  await Promise.all(
    booting.map((started) =>
      started.then(
        async ({ child, dir }) => {
          await stopStart(child);
          rmSync(dir, { recursive: true, force: true });
        },
        () => {},
      ),
    ),
  );
}, 60_000);

const exampleStart = bootEarly(() => npmStartIn({ example: true }));
// --port on the command line wins over APP_PORT. The fake Azure as the upstream, and room for the big answer.
const bigStart = hasProc()
  ? bootEarly(async () =>
      npmStartIn(
        { lines: [`AZURE_OPENAI_ENDPOINT=${inject("fakeAzureUrl")}`, "AZURE_OPENAI_API_KEY=start-test-azure-key", "MAX_ANSWER_CHARS=20000000", "UPSTREAM_TIMEOUT_MS=30000"] },
        { portFlag: await freePort() },
      ),
    )
  : undefined;
// An OpenAI-compatible upstream (the fake's /v1/chat/completions, Bearer auth) instead of Azure.
const OPENAI_KEY = "start-test-openai-key-5e2a";
const openaiStart = bootEarly(() =>
  npmStartIn({ lines: ["UPSTREAM=openai", `OPENAI_BASE_URL=${inject("fakeAzureUrl")}v1`, `OPENAI_API_KEY=${OPENAI_KEY}`, "OPENAI_MODEL=llama3.2"] }),
);
const inspectStart = hasProc() ? bootEarly(() => npmStartIn({ example: true }, { flags: ["--inspect"] })) : undefined;

/** The ports of npm start's processes that answer as a DevTools inspector (GET /json/version). */
async function devToolsPorts(root: number): Promise<number[]> {
  const found: number[] = [];
  for (const pid of processTree(root)) {
    for (const port of listeningPorts(pid)) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/json/version`, { signal: AbortSignal.timeout(2000) });
        const text = await res.text();
        if (res.ok && /"Protocol-Version"/.test(text)) found.push(port);
      } catch {
        // not HTTP, or gone
      }
    }
  }
  return found;
}

/** Sockets held by npm start's processes, all together. */
function sockets(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + socketCount(pid), 0);
}

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
    // UPSTREAM=openai: the configured OpenAI-compatible endpoint, never the demo (which is Azure's stand-in).
    expect(localDefaults({ UPSTREAM: "openai", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" }).demoUpstream).toBe(false);
    expect(localDefaults({ UPSTREAM: "azure" }).demoUpstream).toBe(true);
    // Servers configured with MCP_SERVERS alone: no mock beside them.
    expect(localDefaults({ MCP_SERVERS: '[{"label":"a","url":"https://mcp.example/mcp"}]' }).mockMcp).toBe(false);
  });
});

describe("the banner's lines on keys and CORS", () => {
  it("says how many keys are in force (never which) and what a client must send", () => {
    const keys = keysNote({ API_KEYS: "secret-one-1234567890, secret-two-1234567890" });
    expect(keys).toBe("API_KEYS: 2 keys in force: clients send Authorization: Bearer KEY; a request without one is a 401.");
    expect(keys).not.toContain("secret");
    expect(keysNote({ API_KEYS: "k", ALLOW_ANONYMOUS: "true" })).toBe("API_KEYS: 1 key in force: clients send Authorization: Bearer KEY, or no key at all (ALLOW_ANONYMOUS=true).");
  });

  it("names the CORS origins in force", () => {
    expect(corsNote({ CORS_ORIGINS: "https://a.example, https://b.example" })).toBe("CORS_ORIGINS: pages of https://a.example, https://b.example may call the API.");
    expect(corsNote({ CORS_ORIGINS: "*" })).toBe("CORS_ORIGINS=*: pages of any origin may call the API.");
    expect(corsNote({})).toMatch(/^CORS_ORIGINS empty/);
  });
});

describe("npm start on a port already in use", () => {
  it("exits 1 within seconds, saying the port is in use, and never calls the other server ready", async () => {
    // Another server on the port, one that even answers /health as chatapi does.
    const other = createServer((_, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"healthy"}'));
    const port = await freePort();
    await new Promise<void>((resolve) => other.listen(port, "127.0.0.1", resolve));
    const dir = mkdtempSync(join(tmpdir(), "chatapi-start-busy-"));
    try {
      copyFileSync(EXAMPLE, join(dir, ".dev.vars"));
      const startedAt = performance.now();
      const { child, output } = spawnStart(dir, port);
      const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
      const seconds = (performance.now() - startedAt) / 1000;
      expect(code, output()).toBe(1);
      expect(output()).toContain(`[chatapi] Port ${port} on 127.0.0.1 is in use by another process: stop it, or choose another port`);
      expect(output()).not.toContain("[chatapi] Ready");
      // tsx, the demo upstream and the mock MCP server start first; nothing waits on the port.
      expect(seconds).toBeLessThan(20);
    } finally {
      other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("npm start with .dev.vars.example copied as .dev.vars", () => {
  let child: ChildProcess;
  let output = "";
  let url: string;

  beforeAll(async () => {
    const started = await exampleStart();
    child = started.child;
    output = started.output();
    url = started.url;
  }, 150_000);

  it("says what runs on local defaults, and that the DevTools inspector is off", () => {
    expect(output).toContain("with .dev.vars");
    expect(output).toContain("[chatapi] DevTools inspector off (npm start -- --inspect turns it on)");
    expect(output).toMatch(/\[chatapi\] DEMO upstream at http:\/\/127\.0\.0\.1:\d+\/: answers are canned/);
    expect(output).toMatch(/\[chatapi\] MOCK ModelScope MCP server at http:\/\/127\.0\.0\.1:\d+\/mcp/);
    expect(output).toContain("[chatapi] No API_KEYS set: serving without keys (ALLOW_ANONYMOUS=true)");
    expect(output).toContain("[chatapi] CORS_ORIGINS empty: only this server's own pages may call the API from a browser.");
    // Settings are read once: the banner says a change of .dev.vars needs a restart.
    expect(output).toContain("[chatapi] Settings were read from .dev.vars at start: restart npm start after changing it");
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
    expect(envelope.data.answer.startsWith(DEMO_LABEL_EN)).toBe(true);
    expect(envelope.data.answer).toContain('Your last message: "Hello!"');

    const demoUrl = /DEMO upstream at (http:\/\/[^ :]+:\d+\/)/.exec(output)![1];
    expect((await fetch(demoUrl)).ok).toBe(true);
    const started = hasProc() ? processTree(child.pid!) : [];
    expect(started.map(processName)).toContain("workerd");
    child.kill("SIGINT");
    await new Promise((resolve) => child.once("exit", resolve));
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await expect(fetch(demoUrl)).rejects.toThrow();
    // wrangler, workerd and the rest: all gone (esbuild's services a moment after their parents).
    const left = () => started.filter((pid) => processName(pid) !== undefined).map((pid) => `${pid} ${processName(pid)}`);
    for (let i = 0; i < 30 && left().length; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(left()).toEqual([]);
  });
});

describe("npm start with UPSTREAM=openai and OPENAI_* in .dev.vars", () => {
  it("runs no demo upstream, says which endpoint and model it uses, and the demo page's chat streams from it with Bearer auth", async () => {
    const { url, output } = await openaiStart();
    expect(output()).toContain(`[chatapi] OpenAI-compatible upstream (UPSTREAM=openai): ${inject("fakeAzureUrl")}v1/chat/completions, model llama3.2.`);
    expect(output()).not.toContain("DEMO upstream");
    expect(output()).not.toContain(OPENAI_KEY);
    // The page is served, and a chat as the page sends it (NDJSON) streams to its end.
    expect((await fetch(`${url}/`)).status).toBe(200);
    const nonce = newNonce("start-openai");
    await scriptFake(inject("fakeAzureUrl"), nonce, [{ text: "Hello from the OpenAI-compatible upstream." }]);
    const res = await fetch(`${url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/x-ndjson", "accept-language": "en" },
      body: JSON.stringify({ user_id: "newcomer", query: [{ role: "user", content: `Hello ${nonce}` }] }),
    });
    expect(res.status).toBe(200);
    const events = (await res.text()).trim().split("\n").map((line) => JSON.parse(line) as { type: string; data?: { answer?: string; steps: { tool_type: string; present_content: string }[] } });
    const end = events.at(-1)!;
    expect(end).toMatchObject({ type: "done", data: { answer: "Hello from the OpenAI-compatible upstream." } });
    expect(end.data!.steps.find((s) => s.tool_type === "OpenAI")?.present_content).toContain("llama3.2");
    const [record] = await waitForFake(inject("fakeAzureUrl"), nonce, (r) => r.length === 1);
    expect(record).toMatchObject({ api: "openai", path: "/v1/chat/completions" });
    expect(record.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(JSON.parse(record.body).model).toBe("llama3.2");
  }, 150_000);
});

describe.runIf(hasProc())("npm start without the DevTools inspector, through a 10 MB answer", () => {
  const ANSWER_CHARS = 10_000_000;
  const PIECE = 500; // 20,000 chunks
  let child: ChildProcess;
  let output: () => string;
  let url: string;

  beforeAll(async () => {
    ({ child, output, url } = await bigStart!());
  }, 150_000);

  it("listens on --port, and no port of its processes answers as a DevTools inspector", async () => {
    expect(output()).toContain(`Ready: open ${url}/`);
    expect(output()).toContain("[chatapi] DevTools inspector off");
    expect(processTree(child.pid!).map(processName)).toContain("workerd");
    expect(await devToolsPorts(child.pid!)).toEqual([]);
  });

  it("streams a 10 MB answer of 20,000 chunks whole, then answers a small chat at once, with no sockets piling up", async () => {
    const before = sockets(child.pid!);
    const nonce = newNonce("big");
    const piece = "x".repeat(PIECE);
    const chunk = `data: {"choices":[{"index":0,"delta":{"content":"${piece}"},"finish_reason":null}]}\n\n`;
    await scriptFake(inject("fakeAzureUrl"), nonce, [
      { raw: chunk.repeat(ANSWER_CHARS / PIECE) + 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n' },
    ]);
    const post = (text: string) =>
      fetch(`${url}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_id: "big", query: [{ role: "user", content: text }] }),
        signal: AbortSignal.timeout(60_000),
      });
    const big = await post(`big ${nonce}`);
    expect(big.status).toBe(200);
    const events = (await readNdjsonTimed<{ type: string; data?: { answer: string } }>(big.body!)).map((a) => a.event);
    expect(events.filter((e) => e.type === "delta")).toHaveLength(ANSWER_CHARS / PIECE);
    expect(events.at(-1)!.type).toBe("done");
    expect(events.at(-1)!.data!.answer.length).toBe(ANSWER_CHARS);

    const startedAt = performance.now();
    const small = await fetch(`${url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ user_id: "small", query: [{ role: "user", content: "small after big" }] }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(small.status).toBe(200);
    expect(((await small.json()) as { data: { answer: string } }).data.answer).toBe("echo: small after big");
    expect(performance.now() - startedAt).toBeLessThan(5_000);
    // With the CLI's inspector proxy the same answer left thousands of sockets open.
    expect(sockets(child.pid!)).toBeLessThan(before + 100);
  }, 90_000);
});

describe.runIf(hasProc())("npm start -- --inspect", () => {
  let child: ChildProcess;
  let output: () => string;

  beforeAll(async () => {
    ({ child, output } = await inspectStart!());
  }, 150_000);

  it("runs the wrangler dev CLI with its DevTools inspector (so the check above can see one)", async () => {
    const port = Number(/DevTools inspector on, port (\d+)/.exec(output())?.[1]);
    expect(await devToolsPorts(child.pid!)).toContain(port);
  });
});

describe.runIf(hasProc())("npm start stopped while it boots", () => {
  it("on SIGTERM before it is ready, stops what it started once the Worker is up, and leaves no process behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "chatapi-start-early-"));
    try {
      copyFileSync(EXAMPLE, join(dir, ".dev.vars"));
      const { child, output } = spawnStart(dir, await freePort());
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      // Every process of npm start's tree ever seen, until it exits.
      const seen = new Set<number>();
      const look = () => processTree(child.pid!).forEach((pid) => seen.add(pid));
      // The signal comes once the boot is under way: npm start has a child (the dev server's process).
      for (let i = 0; i < 600 && processTree(child.pid!).length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      look();
      expect(seen.size).toBeGreaterThan(1);
      child.kill("SIGTERM");
      const watching = setInterval(look, 50);
      const code = await exited;
      clearInterval(watching);
      expect(code).toBe(0);
      expect(output()).toContain("[chatapi] Stopping once the Worker is up");
      expect(output()).not.toContain("[chatapi] Ready");
      const left = () => [...seen].filter((pid) => processName(pid) !== undefined).map((pid) => `${pid} ${processName(pid)}`);
      for (let i = 0; i < 30 && left().length; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(left()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});

describe("npm start with wrangler dev flags", () => {
  it("refuses them without --inspect (they need the CLI, which has the inspector), before starting anything", () => {
    const dir = mkdtempSync(join(tmpdir(), "chatapi-start-flags-"));
    try {
      const run = spawnSync(process.execPath, [...NPM_START, START, "--local"], { cwd: dir, encoding: "utf8", timeout: 30_000 });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain("--local: wrangler dev flags need the CLI");
      expect(run.stdout).not.toContain("Starting");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
