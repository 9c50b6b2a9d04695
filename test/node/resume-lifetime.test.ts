/**
 * A resumable chat's lifetime in a real workerd (the deployable bundle under Miniflare, its
 * Durable Object storage on disk where a restart matters): after RESUME_TTL_S it is gone (`204`,
 * and every endpoint works on the same chat_id again), a run cut off by a restart is ended and
 * deleted by the alarm with nobody reading it, an answer too large for one storage row is kept
 * whole, and a resumed reader's keep-alives carry the seq it has.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startWorker, type RunningWorker } from "../../tools/run/worker";

const dirs: string[] = [];
const workers: RunningWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function boot(vars: Record<string, string>, options: { persistDir?: string; onLine?: (line: string) => void } = {}) {
  const worker = await startWorker({
    bundle: inject("workerBundle"),
    vars: { AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"), AZURE_OPENAI_API_KEY: "lifetime-azure-key", ALLOW_ANONYMOUS: "true", ...vars },
    timeoutMs: 150_000,
    ...options,
  });
  workers.push(worker);
  return worker;
}

const chatId = () => `life_${crypto.randomUUID().slice(0, 8)}`;
const post = (base: string, body: object, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/chat`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const ask = (text: string, chat_id: string) => ({ user_id: "life_user", chat_id, query: [{ role: "user", content: text }] });
const lines = (text: string) => text.trimEnd().split("\n").map((l) => JSON.parse(l) as { type: string; seq: number; code?: number; data?: { answer?: string } });

/** Polls `check` every 100 ms until it is true, for at most `ms`. */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("a resumable chat's lifetime", () => {
  it("after RESUME_TTL_S is deleted by its alarm: its stream is 204, and POST, stop, the AI SDK and another key work on the same chat_id", async () => {
    const worker = await boot({ RESUME_TTL_S: "1", API_KEYS: "life-key-a-1234", ALLOW_ANONYMOUS: "true" });
    const id = chatId();
    const first = lines(await (await post(worker.url, ask("first", id))).text());
    expect(first.at(-1)).toMatchObject({ type: "done" });
    const statuses: number[] = [];
    await until(async () => {
      const res = await fetch(`${worker.url}/api/chat/${id}/stream`);
      await res.body?.cancel();
      statuses.push(res.status);
      return res.status === 204;
    }, 15_000, "the expired chat's stream to answer 204");
    expect(statuses.every((s) => s === 200 || s === 204)).toBe(true);
    const again = await post(worker.url, ask("second", id));
    expect(again.status).toBe(200);
    expect(lines(await again.text()).at(-1)).toMatchObject({ type: "done", data: { answer: "echo: second" } });
    expect((await fetch(`${worker.url}/api/chat/${id}/stop`, { method: "POST" })).status).toBe(404);
    const other = await post(worker.url, ask("other key", id), { authorization: "Bearer life-key-a-1234" });
    expect(other.status).toBe(200);
    await other.body?.cancel();
    const ui = await fetch(`${worker.url}/api/ui/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id, messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "ui turn" }] }] }),
    });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/"type":"finish"/);
  });

  /** Starts a slow run, reads it for a while noting when each event came, and stops the Worker mid-run. */
  async function cutOff(before: RunningWorker, id: string) {
    const res = await post(before.url, ask("[[fake:chunks n=400 delay=20]]", id));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const received: { seq: number; at: number }[] = [];
    let buffer = "";
    while (!received.some((e) => e.seq >= 150)) {
      buffer += decoder.decode((await reader.read()).value, { stream: true });
      const cut = buffer.lastIndexOf("\n") + 1;
      for (const event of lines(buffer.slice(0, cut) || "{}\n").filter((e) => e.seq)) received.push({ seq: event.seq, at: Date.now() });
      buffer = buffer.slice(cut);
    }
    const stoppedAt = Date.now();
    await reader.cancel();
    await before.stop();
    return { received, stoppedAt };
  }

  it("keeps what was streamed up to 2 seconds before a restart, then ends the run with the 503 'interrupted' event", async () => {
    const persistDir = mkdtempSync(join(tmpdir(), "chatapi-lifetime-"));
    dirs.push(persistDir);
    const id = chatId();
    const { received, stoppedAt } = await cutOff(await boot({ RESUME_TTL_S: "60" }, { persistDir }), id);
    const after = await boot({ RESUME_TTL_S: "60" }, { persistDir });
    const replay = lines(await (await fetch(`${after.url}/api/chat/${id}/stream`)).text());
    const end = replay.at(-1)!;
    expect(end).toMatchObject({ type: "error", code: 503 });
    const kept = end.seq - 1;
    // Every event the client had 2 seconds before the stop is kept.
    const due = received.filter((e) => e.at <= stoppedAt - 2_000).map((e) => e.seq);
    expect(due.length).toBeGreaterThan(0);
    expect(kept).toBeGreaterThanOrEqual(Math.max(...due));
    expect(replay.slice(0, -1).map((e) => e.seq)).toEqual(Array.from({ length: kept }, (_, i) => i + 1));
  });

  it("ends a run cut off by a restart and deletes it after RESUME_TTL_S by its alarm, with nobody reading it", async () => {
    const persistDir = mkdtempSync(join(tmpdir(), "chatapi-lifetime-"));
    dirs.push(persistDir);
    const id = chatId();
    await cutOff(await boot({ RESUME_TTL_S: "2" }, { persistDir }), id);
    const logs: string[] = [];
    const after = await boot({ RESUME_TTL_S: "2" }, { persistDir, onLine: (line) => logs.push(line) });
    await until(async () => logs.some((l) => l.includes('"resumable run interrupted"')), 20_000, "the alarm to end the interrupted run");
    await until(async () => {
      const res = await fetch(`${after.url}/api/chat/${id}/stream`);
      await res.body?.cancel();
      return res.status === 204;
    }, 20_000, "the interrupted run to be deleted");
  });

  it("keeps a final answer larger than one storage row (500,000 CJK characters) whole across a restart", async () => {
    const persistDir = mkdtempSync(join(tmpdir(), "chatapi-lifetime-"));
    dirs.push(persistDir);
    const vars = { RESUME_TTL_S: "600" };
    const before = await boot(vars, { persistDir });
    const id = chatId();
    const answer = "ok " + "中文回答".repeat(125_000);
    const live = lines(await (await post(before.url, ask("[[fake:huge_chunk bytes=500000 cjk=1]]", id))).text());
    expect(live.at(-1)).toMatchObject({ type: "done", data: { answer } });
    await before.stop();
    const after = await boot(vars, { persistDir });
    const replay = lines(await (await fetch(`${after.url}/api/chat/${id}/stream`)).text());
    expect(replay.at(-1)).toMatchObject({ type: "done", seq: live.length });
    expect(replay.at(-1)!.data!.answer).toBe(answer);
  });

  it("sends a resumed reader keep-alives that repeat the last seq it has, not 0", async () => {
    const worker = await boot({ HEARTBEAT_MS: "100" });
    const id = chatId();
    // Two words 4 s apart: the resumed reader meets a quiet run.
    const res = await post(worker.url, ask("[[fake:chunks n=2 delay=4000]]", id));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes('"type":"delta"')) text += decoder.decode((await reader.read()).value, { stream: true });
    await reader.cancel();
    const last = lines(text.slice(0, text.lastIndexOf("\n") + 1)).filter((e) => e.type !== "ping").at(-1)!.seq;
    const resumed = await fetch(`${worker.url}/api/chat/${id}/stream?after=${last}`);
    const body = resumed.body!.getReader();
    let got = "";
    while (!got.includes("\n")) got += decoder.decode((await body.read()).value, { stream: true });
    await body.cancel();
    expect(JSON.parse(got.split("\n")[0])).toMatchObject({ type: "ping", seq: last });
  });
});
