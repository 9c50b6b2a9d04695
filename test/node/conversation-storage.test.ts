/**
 * A conversation kept by the service, in a real workerd with its Durable Object and R2 storage on
 * disk (Miniflare's persisted SQLite and R2 files): after DELETE and after HISTORY_TTL_DAYS nothing
 * of it is left in those files; HISTORY_MAX_CHARS leaves older turns out of what the model is
 * sent (the InputParser step says how many) without deleting them.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import { PNG_1X1_BASE64 } from "../../tools/png";
import { startWorker, type RunningWorker } from "../../tools/run/worker";

const dirs: string[] = [];
const workers: RunningWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function boot(vars: Record<string, string> = {}) {
  const persistDir = mkdtempSync(join(tmpdir(), "chatapi-conversations-"));
  dirs.push(persistDir);
  const worker = await startWorker({
    bundle: inject("workerBundle"),
    vars: { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: "conversation-azure-key", ALLOW_ANONYMOUS: "true", ...vars },
    persistDir,
    timeoutMs: 150_000,
  });
  workers.push(worker);
  return { worker, persistDir };
}

const chatId = () => `store_${crypto.randomUUID().slice(0, 8)}`;

async function turn(base: string, id: string, content: unknown) {
  const res = await fetch(`${base}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: "storage_user", chat_id: id, history: "server", query: [{ role: "user", content }] }),
  });
  const lines = (await res.text()).trimEnd().split("\n").map((l) => JSON.parse(l));
  expect(lines.at(-1).type).toBe("done");
  return lines;
}

/** Every file below `dir` whose bytes hold `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (readFileSync(full).includes(needle)) found.push(full);
    }
  };
  walk(dir);
  return found;
}

/** Polls `check` every 100 ms until it is true, for at most `ms`. */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const image = [{ type: "input_text", text: "" }, { type: "input_image", image_url: `data:image/png;base64,${PNG_1X1_BASE64}` }];

describe("a conversation's storage", () => {
  it("holds nothing of a chat after DELETE: not its text, not its image, in the persisted SQLite or R2 files", async () => {
    const { worker, persistDir } = await boot();
    const id = chatId();
    const marker = `marker-${crypto.randomUUID()}`;
    await turn(worker.url, id, [{ ...image[0], text: marker }, image[1]]);
    await turn(worker.url, id, `again ${marker}`);
    expect(filesHolding(persistDir, marker).length).toBeGreaterThan(0);
    expect(filesHolding(persistDir, PNG_1X1_BASE64).length).toBeGreaterThan(0);
    expect((await fetch(`${worker.url}/api/chat/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${worker.url}/api/chat/${id}/messages`)).status).toBe(404);
    expect(filesHolding(persistDir, marker)).toEqual([]);
    expect(filesHolding(persistDir, PNG_1X1_BASE64)).toEqual([]);
  });

  it("deletes a conversation untouched for HISTORY_TTL_DAYS by its alarm: messages, list entry, files, and the bytes on disk", async () => {
    // 0.00003 days: about 2.6 seconds.
    const { worker, persistDir } = await boot({ HISTORY_TTL_DAYS: "0.00003", RESUME_TTL_S: "1" });
    const id = chatId();
    const marker = `marker-${crypto.randomUUID()}`;
    await turn(worker.url, id, [{ ...image[0], text: marker }, image[1]]);
    const listed = await (await fetch(`${worker.url}/api/chats?user_id=storage_user`)).json();
    expect(listed.chats.map((c: { chat_id: string }) => c.chat_id)).toContain(id);
    await until(async () => (await fetch(`${worker.url}/api/chat/${id}/messages`)).status === 404, 20_000, "the conversation to expire");
    const after = await (await fetch(`${worker.url}/api/chats?user_id=storage_user`)).json();
    expect(after.chats.map((c: { chat_id: string }) => c.chat_id)).not.toContain(id);
    await until(async () => filesHolding(persistDir, marker).length === 0 && filesHolding(persistDir, PNG_1X1_BASE64).length === 0, 10_000, "nothing on disk");
  });

  it("leaves the oldest turns out of the model's input past HISTORY_MAX_CHARS, keeps them stored, and says so in the InputParser step", async () => {
    const { worker } = await boot({ HISTORY_MAX_CHARS: "100" });
    const id = chatId();
    await turn(worker.url, id, `first turn ${"a".repeat(40)}`);
    await turn(worker.url, id, `second turn ${"b".repeat(10)}`);
    const nonce = newNonce();
    const last = await turn(worker.url, id, `third ${nonce}`);
    const [record] = await waitForFake(inject("fakeAzureUrl"), nonce, (r) => r.length === 1);
    const sent = JSON.parse(record.body).messages as { role: string; content: unknown }[];
    expect(sent.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(JSON.stringify(sent[0])).toContain("second turn");
    const parser = last.at(-1).data.steps.find((s: { tool_type: string }) => s.tool_type === "InputParser");
    expect(JSON.parse(parser.observation)).toMatchObject({ history_messages: 2, history_left_out: 2 });
    expect(parser.present_content).toMatch(/较早的 2 条未发送给模型/);
    const view = await (await fetch(`${worker.url}/api/chat/${id}/messages`)).json();
    expect(view.messages).toHaveLength(6);
  });
});
