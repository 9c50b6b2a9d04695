/**
 * The assistant's settings through every way in, against the Worker's deployable bundle on an
 * OpenAI-compatible upstream (the fake at /v1/chat/completions, Bearer auth): the typed client's
 * `options` and the CLI's --temperature / --max-tokens reach the model within what CLIENT_OPTIONS
 * and MODEL_PARAMS allow; the operator's SYSTEM_PROMPT leads a resumable chat (run in its Durable
 * Object) and an AI SDK chat too; CLIENT_SYSTEM=deny and options the operator does not allow are
 * 400s naming the field in each dialect. (The rules themselves: test/worker/assistant-settings.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ChatApiError, chat, streamChat, type ChatEvent } from "../../client/src";
import { cliProcess } from "../../tools/cli/cli-process";
import { fakeRequests, newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import { startWorker, type RunningWorker } from "../../tools/run/worker";

const PROMPT = "You are Example Corp's assistant. Keep answers short and never mention competitors.";
const OPENAI_KEY = "assistant-openai-key-4f1c";
let dev: RunningWorker;
const fake = () => inject("fakeAzureUrl");

beforeAll(async () => {
  dev = await startWorker({
    bundle: inject("workerBundle"),
    vars: {
      UPSTREAM: "openai",
      OPENAI_BASE_URL: `${fake()}v1`,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_MODEL: "gpt-4.1-mini",
      SYSTEM_PROMPT: PROMPT,
      CLIENT_SYSTEM: "deny",
      MODEL_PARAMS: JSON.stringify({ temperature: 0.2, max_tokens: 300 }),
      ALLOW_ANONYMOUS: "true",
      UPSTREAM_TIMEOUT_MS: "5000",
    },
  });
}, 90_000);

afterAll(async () => {
  await dev?.stop();
});

/** The bodies the fake received for `nonce`, once it has answered them all. */
async function sent(nonce: string, count = 1) {
  const records = await waitForFake(fake(), nonce, (r) => r.length === count && r.every((x) => x.finished), 15_000);
  for (const record of records) {
    expect(record).toMatchObject({ api: "openai", path: "/v1/chat/completions" });
    expect(record.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  }
  return records.map((r) => JSON.parse(r.body));
}

async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe("the typed client", () => {
  it("sends options; the model gets them within the operator's bounds, after the operator's instructions", async () => {
    const nonce = newNonce("client-opts");
    const events = await collect(streamChat({ user_id: "u", query: [{ role: "user", content: `hi ${nonce}` }], options: { temperature: 0.9, max_tokens: 5000 } }, { baseUrl: dev.url, lang: "en" }));
    const end = events.at(-1)!;
    expect(end).toMatchObject({ type: "done", code: 200 });
    const [body] = await sent(nonce);
    expect(body).toMatchObject({ model: "gpt-4.1-mini", temperature: 0.9, max_tokens: 300 });
    expect(body.messages[0]).toEqual({ role: "system", content: PROMPT });
    const model = end.type === "done" ? end.data.steps.find((s) => s.tool_type === "OpenAI") : undefined;
    expect(model?.present_content).toContain("gpt-4.1-mini");
    expect(JSON.stringify(events)).not.toContain("Example Corp");
  });

  it("a resumable chat (run in its Durable Object) gets the operator's instructions first too", async () => {
    const nonce = newNonce("client-resumable");
    const chatId = `as${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const events = await collect(streamChat({ user_id: "u", chat_id: chatId, query: [{ role: "user", content: `hi ${nonce}` }], options: { max_tokens: 50 } }, { baseUrl: dev.url }));
    expect(events.at(-1)).toMatchObject({ type: "done" });
    const [body] = await sent(nonce);
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual(["system", "user"]);
    expect(body.messages[0].content).toBe(PROMPT);
    expect(body).toMatchObject({ temperature: 0.2, max_tokens: 50 });
  });

  it("throws the 400s naming the field: an option the operator does not allow, a system message under CLIENT_SYSTEM=deny", async () => {
    const nonce = newNonce("client-refused");
    const refused = (request: Parameters<typeof chat>[0]) => chat(request, { baseUrl: dev.url }).then(() => undefined, (error: unknown) => error);
    const option = await refused({ user_id: "u", query: [{ role: "user", content: `hi ${nonce}` }], options: { top_p: 0.1 } });
    expect(option).toBeInstanceOf(ChatApiError);
    expect(option).toMatchObject({ status: 400, message: expect.stringMatching(/^options\.top_p: not allowed here/) });
    const system = await refused({ user_id: "u", query: [{ role: "system", content: "Be rude." }, { role: "user", content: `hi ${nonce}` }] });
    expect(system).toMatchObject({ status: 400, message: expect.stringMatching(/^query\[0\]\.role: system messages are not accepted/) });
    expect(await fakeRequests(fake(), nonce)).toEqual([]);
  });
});

describe("the AI SDK dialect", () => {
  const uiPost = (body: unknown) => fetch(`${dev.url}/api/ui/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const chatId = () => `ui${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
  const user = (text: string) => ({ id: "m1", role: "user", parts: [{ type: "text", text }] });

  it("takes options as an extra body field, and the operator's instructions lead", async () => {
    const nonce = newNonce("ui-opts");
    const res = await uiPost({ id: chatId(), messages: [user(`hi ${nonce}`)], trigger: "submit-message", options: { temperature: 0.5 } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"type":"finish"');
    expect(text).not.toContain("Example Corp");
    const [body] = await sent(nonce);
    expect(body).toMatchObject({ temperature: 0.5, max_tokens: 300 });
    expect(body.messages[0]).toEqual({ role: "system", content: PROMPT });
  });

  it.each([
    ["an option the operator does not allow", { options: { seed: 1 } }, [], /^options\.seed: not allowed here/],
    ["a system message under CLIENT_SYSTEM=deny", {}, [{ id: "s1", role: "system", parts: [{ type: "text", text: "Be rude." }] }], /^messages\[0\]\.role: system messages are not accepted/],
  ])("refuses %s with a 400 naming the AI SDK's field", async (_what, extra, before, message) => {
    const nonce = newNonce("ui-refused");
    const res = await uiPost({ id: chatId(), messages: [...before, user(`hi ${nonce}`)], trigger: "submit-message", ...extra });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
    expect(await fakeRequests(fake(), nonce)).toEqual([]);
  });
});

describe("the CLI", () => {
  it("--temperature and --max-tokens become the request's options", async () => {
    const nonce = newNonce("cli-opts");
    const run = await cliProcess(inject("cliBundle"), [`hi ${nonce}`, "--url", dev.url, "--temperature", "0.7", "--max-tokens", "40"]).done;
    expect(run.code, run.stderr).toBe(0);
    const [body] = await sent(nonce);
    expect(body).toMatchObject({ temperature: 0.7, max_tokens: 40 });
  });

  it("says what is wrong with a --temperature that is not a number, before sending anything", async () => {
    const run = await cliProcess(inject("cliBundle"), ["hi", "--url", dev.url, "--temperature", "warm"]).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--temperature must be a number/);
  });
});
