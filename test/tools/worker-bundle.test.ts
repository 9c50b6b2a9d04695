/**
 * The bundle engine of the boot helper (`startWorker({ bundle })`, tools/build/worker-bundle.ts): the
 * run's deployable bundle, booted with wrangler.toml's settings under the caller's vars. The
 * end-to-end tests that use it rely on each of these.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hasProc } from "../../tools/lab/proc";
import { startWorker, type RunningWorker } from "../../tools/run/worker";

const AZURE_KEY = "bundle-test-azure-key-6a0d";
let worker: RunningWorker;

beforeAll(async () => {
  worker = await startWorker({
    bundle: inject("workerBundle"),
    // wrangler.toml says ALLOW_ANONYMOUS = "false": the caller's vars win.
    vars: { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: AZURE_KEY, ALLOW_ANONYMOUS: "true" },
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
});

const chat = (extra: Record<string, unknown> = {}) =>
  fetch(`${worker.url}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ user_id: "bundle", query: [{ role: "user", content: "hello bundle" }], ...extra }),
  });

describe("startWorker({ bundle })", () => {
  it("runs the Worker with the caller's vars over wrangler.toml's: an anonymous chat answers from the upstream", async () => {
    const res = await chat();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { answer: string } }).data.answer).toBe("echo: hello bundle");
  });

  it("binds the ChatRoom Durable Object: a chat with chat_id runs and reads back", async () => {
    const chatId = `bundle_${Date.now().toString(36)}`;
    expect((await chat({ chat_id: chatId })).status).toBe(200);
    const again = await fetch(`${worker.url}/api/chat/${chatId}/stream`, { headers: { accept: "application/x-ndjson" } });
    expect(again.status).toBe(200);
    const lines = (await again.text()).trim().split("\n").map((line) => JSON.parse(line) as { type: string });
    expect(lines.at(-1)!.type).toBe("done");
  });

  it("serves public/ with the _headers file applied", async () => {
    const res = await fetch(`${worker.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual(JSON.parse(readFileSync("public/openapi.json", "utf8")));
  });

  it.runIf(hasProc())("keeps the vars off workerd's command line", () => {
    const cmdline = readFileSync(`/proc/${worker.pid}/cmdline`, "utf8");
    expect(cmdline).toContain("workerd");
    expect(cmdline).not.toContain(AZURE_KEY);
  });

  it("stop() ends it: the port no longer answers", async () => {
    const other = await startWorker({ bundle: inject("workerBundle") });
    expect((await fetch(`${other.url}/health`)).ok).toBe(true);
    await other.stop();
    await expect(fetch(`${other.url}/health`)).rejects.toThrow();
  });
});
