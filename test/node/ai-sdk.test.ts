/**
 * `POST /api/ui/chat` through the Vercel AI SDK's own client code, ai 5 and ai 6 side by side (npm
 * aliases `ai-v5`, `ai-v6`): `DefaultChatTransport` (`sendMessages`, `reconnectToStream`) sends
 * the request and parses the SSE, `readUIMessageStream` builds the UIMessage as it grows, and
 * `createUIMessageStream`'s `onFinish` says how the SDK saw the stream end (`isAborted`). Against
 * the Worker's deployable bundle in workerd (tools/build/worker-bundle.ts) with the fake Azure (scripted by `[[fake:…]]` markers) and the
 * ModelScope mock MCP server. The wire format itself is tested in test/worker/ui-chat.test.ts;
 * `useChat` in Chromium in test/node/ai-sdk-react.test.ts.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as aiV5 from "ai-v5";
import * as aiV6 from "ai-v6";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Step, Usage } from "../../client/src";
import { fakeRequests, newNonce } from "../../tools/fakes/fake-azure-client";
import { base64, tinyPng } from "../../tools/png";
import { ROOT, startWorker, type RunningWorker } from "../../tools/run/worker";
import { readWorkerBundle } from "../../tools/build/worker-bundle";

const API_KEY = "ai-sdk-test-key-5e21";
let dev: RunningWorker;
const fake = () => inject("fakeAzureUrl");

beforeAll(async () => {
  dev = await startWorker({
    bundle: inject("workerBundle"), 
    vars: {
      AZURE_OPENAI_ENDPOINT: fake(),
      AZURE_OPENAI_API_KEY: "ai-sdk-azure-key",
      // The ModelScope mock as the one server; its get_model_info needs a person's approval.
      MCP_SERVERS: JSON.stringify([{ label: "modelscope", url: inject("mockMcpUrl"), approval: ["get_model_info"] }]),
      APPROVAL_TIMEOUT_MS: "20000",
      API_KEYS: API_KEY,
      UPSTREAM_TIMEOUT_MS: "5000",
      UPSTREAM_MAX_RETRIES: "0",
      // Keep-alives (SSE comments) after 300 ms without an event: the SDK must skip them.
      HEARTBEAT_MS: "300",
    },
  });
}, 90_000);

afterAll(async () => {
  await dev?.stop();
});

/** What the server puts in `messageMetadata` (start, finish; message-metadata before an error or abort). */
type Meta = { requestId: string; usage?: Usage; code?: number };
/** Each chatapi step is a `data-step` part. */
type Data = { step: Step };
type Msg5 = aiV5.UIMessage<Meta, Data>;
type Msg6 = aiV6.UIMessage<Meta, Data>;
/** A chunk as it came off the wire (after the SDK parsed and validated it). */
type Chunk = { type: string; [key: string]: unknown };

type Finished = { isAborted: boolean; responseMessageId: string };

/** One stream as the SDK read it. */
interface Reader<M> {
  /** Every chunk, in order, as it came (copies: the SDK keeps a data chunk as the part it then updates in place). */
  chunks: Chunk[];
  /** readUIMessageStream: the message after each chunk that changed it. */
  messages: AsyncIterable<M>;
  /** createUIMessageStream's onFinish, once the stream ended. */
  finished: Promise<Finished>;
  /** What the SDK reported through onError (an `error` chunk, a broken stream). */
  errors: string[];
}

/**
 * The SDK calls a version's tests use, each written against that version's own exports and types
 * (the two modules' generic classes cannot be called through one union type). `M` is the version's
 * UIMessage; messages written in the tests are ai 5 ones, which ai 6 accepts as they are.
 */
interface Sdk<M> {
  /** The version the alias must resolve to. */
  version: string;
  pkg: string;
  transport(options?: { key?: string | null; body?: object }): {
    sendMessages(chatId: string, messages: (M | Msg5)[], abortSignal?: AbortSignal): Promise<Reader<M>>;
    reconnectToStream(chatId: string): Promise<Reader<M> | null>;
  };
}

const api = () => `${dev.url}/api/ui/chat`;
const headersOf = (key: string | null | undefined) => (key === null ? undefined : { Authorization: `Bearer ${key ?? API_KEY}` });
const USER_BODY = { user_id: "ai_sdk_user" };

const v5: Sdk<Msg5> = {
  version: "5.0.277",
  pkg: "ai-v5",
  transport({ key, body = USER_BODY } = {}) {
    const transport = new aiV5.DefaultChatTransport<Msg5>({ api: api(), headers: headersOf(key), body });
    const read = (stream: ReadableStream<aiV5.UIMessageChunk>): Reader<Msg5> => {
      const chunks: Chunk[] = [];
      const errors: string[] = [];
      let finish!: (value: Finished) => void;
      const finished = new Promise<Finished>((resolve) => (finish = resolve));
      const recorded = stream.pipeThrough(new TransformStream<aiV5.UIMessageChunk, aiV5.UIMessageChunk>({ transform: (chunk, c) => (chunks.push(structuredClone(chunk)), c.enqueue(chunk)) }));
      // The transport's chunks are untyped (UIMessageChunk), as they are when the SDK's Chat reads them.
      const observed = aiV5.createUIMessageStream({
        execute: ({ writer }) => writer.merge(recorded),
        onError: (error) => (errors.push(String(error)), String(error)),
        onFinish: ({ isAborted, responseMessage }) => finish({ isAborted, responseMessageId: responseMessage.id }),
      });
      const messages = aiV5.readUIMessageStream<Msg5>({ stream: observed, onError: (error) => errors.push(String(error)) });
      return { chunks, messages, finished, errors };
    };
    return {
      sendMessages: async (chatId, messages, abortSignal) =>
        read(await transport.sendMessages({ chatId, messages, trigger: "submit-message", messageId: undefined, abortSignal })),
      reconnectToStream: async (chatId) => {
        const stream = await transport.reconnectToStream({ chatId });
        return stream && read(stream);
      },
    };
  },
};

const v6: Sdk<Msg6> = {
  version: "6.0.325",
  pkg: "ai-v6",
  transport({ key, body = USER_BODY } = {}) {
    const transport = new aiV6.DefaultChatTransport<Msg6>({ api: api(), headers: headersOf(key), body });
    const read = (stream: ReadableStream<aiV6.UIMessageChunk>): Reader<Msg6> => {
      const chunks: Chunk[] = [];
      const errors: string[] = [];
      let finish!: (value: Finished) => void;
      const finished = new Promise<Finished>((resolve) => (finish = resolve));
      const recorded = stream.pipeThrough(new TransformStream<aiV6.UIMessageChunk, aiV6.UIMessageChunk>({ transform: (chunk, c) => (chunks.push(structuredClone(chunk)), c.enqueue(chunk)) }));
      // The transport's chunks are untyped (UIMessageChunk), as they are when the SDK's Chat reads them.
      const observed = aiV6.createUIMessageStream({
        execute: ({ writer }) => writer.merge(recorded),
        onError: (error) => (errors.push(String(error)), String(error)),
        onFinish: ({ isAborted, responseMessage }) => finish({ isAborted, responseMessageId: responseMessage.id }),
      });
      const messages = aiV6.readUIMessageStream<Msg6>({ stream: observed, onError: (error) => errors.push(String(error)) });
      return { chunks, messages, finished, errors };
    };
    return {
      sendMessages: async (chatId, messages, abortSignal) =>
        read(await transport.sendMessages({ chatId, messages, trigger: "submit-message", messageId: undefined, abortSignal })),
      reconnectToStream: async (chatId) => {
        const stream = await transport.reconnectToStream({ chatId });
        return stream && read(stream);
      },
    };
  },
};

const user = (text: string, files: { mediaType: string; url: string }[] = []): Msg5 => ({
  id: `u_${crypto.randomUUID().slice(0, 8)}`,
  role: "user",
  parts: [{ type: "text", text }, ...files.map((f) => ({ type: "file" as const, ...f }))],
});

/** Every snapshot of the message, and the last one. */
async function collect<M>(reader: Reader<M>): Promise<{ snapshots: M[]; final: M }> {
  const snapshots: M[] = [];
  for await (const message of reader.messages) snapshots.push(structuredClone(message));
  expect(snapshots.length).toBeGreaterThan(0);
  return { snapshots, final: snapshots.at(-1)! };
}

type AnyPart = Msg5["parts"][number] | Msg6["parts"][number];
const textOf = (message: { parts: AnyPart[] }) => message.parts.map((p) => (p.type === "text" ? p.text : "")).join("");
const stepsOf = (message: { parts: AnyPart[] }) => message.parts.flatMap((p) => (p.type === "data-step" ? [{ id: p.id, step: p.data as Step }] : []));
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `).join("");
const chatId = (sdk: Sdk<unknown>) => `${sdk.pkg.replace("-", "")}_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

/** The Azure request the Worker sent for a nonce (the fake records every request). */
async function azureRequests(nonce: string): Promise<{ messages: { role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string }[] }[]> {
  return (await fakeRequests(fake(), nonce)).map((r) => JSON.parse(r.body));
}

describe.each([
  ["ai 5", v5 as Sdk<Msg5 | Msg6>],
  ["ai 6", v6 as Sdk<Msg5 | Msg6>],
])("%s: DefaultChatTransport + readUIMessageStream against /api/ui/chat", (_, sdk) => {
  it("resolves the alias to the version under test", () => {
    expect(createRequire(import.meta.url)(`${sdk.pkg}/package.json`).version).toBe(sdk.version);
  });

  it("text: the whole answer in a text part, metadata.requestId and usage, data-step parts updated in place", async () => {
    const reader = await sdk.transport().sendMessages(chatId(sdk), [user("[[fake:chunks n=30 delay=15]]")]);
    const { snapshots, final } = await collect(reader);
    expect(reader.errors).toEqual([]);
    expect(textOf(final)).toBe(words(30));
    expect(final.role).toBe("assistant");
    expect(final.metadata).toMatchObject({ requestId: expect.stringMatching(/^req_/), usage: { total_tokens: expect.any(Number) } });
    expect(final.id).toBe(final.metadata!.requestId);
    // It grew: some snapshot had part of the answer.
    expect(snapshots.some((m) => textOf(m).length > 0 && textOf(m).length < words(30).length)).toBe(true);

    // One data-step part per step, each in its final state; earlier snapshots had them started.
    const steps = stepsOf(final);
    expect(new Set(steps.map((s) => s.id)).size).toBe(steps.length);
    expect(steps.map((s) => s.step.tool_type)).toEqual(["System", "InputParser", "MCP", "AzureOpenAI"]);
    for (const { id, step } of steps) {
      expect(step).toMatchObject({ message_id: id, tool_status: "Success" });
      expect(snapshots.some((m) => stepsOf(m).some((s) => s.id === id && s.step.tool_status === "Start"))).toBe(true);
    }
    const systemStarted = snapshots.map((m) => stepsOf(m)[0]?.step).find((s) => s?.tool_status === "Start");
    expect(systemStarted?.present_content).toContain("ai_sdk_user");
    // Each model round is a step of the message.
    expect(final.parts.filter((p) => p.type === "step-start")).toHaveLength(1);
    expect(await reader.finished).toMatchObject({ isAborted: false });
    expect(reader.chunks.at(-1)).toMatchObject({ type: "finish" });
  });

  it("an image: a file part with a PNG data URL reaches Azure byte for byte", async () => {
    const nonce = newNonce();
    const url = `data:image/png;base64,${base64(tinyPng(6, 4))}`;
    const reader = await sdk.transport().sendMessages(chatId(sdk), [user(`what is this? ${nonce}`, [{ mediaType: "image/png", url }])]);
    const { final } = await collect(reader);
    expect(textOf(final)).toBe(`echo: what is this? ${nonce}`);
    const parser = stepsOf(final).find((s) => s.step.tool_type === "InputParser")!.step;
    expect(JSON.parse(parser.parameters)).toEqual({ query_items: 1, images: 1 });
    const [sent] = await azureRequests(nonce);
    expect(sent.messages.at(-1)).toEqual({
      role: "user",
      content: [
        { type: "text", text: `what is this? ${nonce}` },
        { type: "image_url", image_url: { url } },
      ],
    });
  });

  it("history: the SDK's own earlier assistant message (with its step and data-step parts) becomes an assistant turn", async () => {
    const id = chatId(sdk);
    const transport = sdk.transport();
    const first = user("first question");
    const { final: answer } = await collect(await transport.sendMessages(id, [first]));
    expect(textOf(answer)).toBe("echo: first question");
    expect(answer.parts.some((p) => p.type === "data-step")).toBe(true);

    const nonce = newNonce();
    const { final } = await collect(await transport.sendMessages(id, [first, answer, user(`second ${nonce}`)]));
    expect(textOf(final)).toBe(`echo: second ${nonce}`);
    const [sent] = await azureRequests(nonce);
    expect(sent.messages.map((m) => [m.role, m.content])).toEqual([
      ["user", [{ type: "text", text: "first question" }]],
      ["assistant", "echo: first question"],
      ["user", [{ type: "text", text: `second ${nonce}` }]],
    ]);
    expect(final.id).not.toBe(answer.id);
  });

  it("an MCP tool call: a dynamic-tool part in state output-available, a step per model round; sent back, it is the call and result it was", async () => {
    const id = chatId(sdk);
    const transport = sdk.transport();
    const args = encodeURIComponent(JSON.stringify({ query: "qwen", limit: 2 }));
    const ask = user(`[[fake:tools name=search_models args=${args}]] find qwen`);
    const reader = await transport.sendMessages(id, [ask]);
    const { snapshots, final } = await collect(reader);
    expect(reader.errors).toEqual([]);

    const tools = final.parts.filter((p) => p.type === "dynamic-tool");
    expect(tools).toHaveLength(1);
    const [tool] = tools;
    expect(tool).toMatchObject({ type: "dynamic-tool", toolName: "search_models", state: "output-available", input: { query: "qwen", limit: 2 } });
    const output = (tool as { output: unknown }).output;
    expect(output).toEqual(expect.stringContaining("Qwen/"));
    // The tool part was seen waiting for its output first.
    expect(snapshots.some((m) => m.parts.some((p) => p.type === "dynamic-tool" && p.state === "input-available"))).toBe(true);
    // Its id is the MCP step's message_id: the data-step part of the same call.
    const call = stepsOf(final).find((s) => s.step.tool_type === "MCP" && s.step.parameters.includes("search_models"))!;
    expect(call.id).toBe(tool.toolCallId);
    expect(call.step).toMatchObject({ tool_status: "Success", observation: output });
    expect(final.parts.filter((p) => p.type === "step-start")).toHaveLength(2);
    expect(textOf(final)).toMatch(/^tool result: /);
    expect(textOf(final)).toContain("Qwen/");

    // The next turn sends this message back: the model sees the call and its result.
    const nonce = newNonce();
    const { final: next } = await collect(await transport.sendMessages(id, [ask, final, user(`thanks ${nonce}`)]));
    expect(textOf(next)).toBe(`echo: thanks ${nonce}`);
    const [sent] = await azureRequests(nonce);
    const roles = sent.messages.map((m) => m.role);
    expect(roles).toEqual(["user", "assistant", "tool", "assistant", "user"]);
    expect(sent.messages[1].tool_calls).toEqual([{ id: tool.toolCallId, type: "function", function: { name: "search_models", arguments: JSON.stringify({ query: "qwen", limit: 2 }) } }]);
    expect(sent.messages[2]).toEqual({ role: "tool", tool_call_id: tool.toolCallId, content: output });
    expect(sent.messages[3].content).toBe(textOf(final));
  });

  it("a bad request: sendMessages throws with the server's message naming the UI field; so does a missing key", async () => {
    const bad = user("look", [{ mediaType: "image/png", url: "data:image/png;base64,AAAA" }]);
    const error = (await sdk.transport().sendMessages(chatId(sdk), [bad]).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    const envelope = JSON.parse(error.message) as { code: number; message: string; requestId: string };
    expect(envelope).toMatchObject({ code: 400, requestId: expect.stringMatching(/^req_/) });
    expect(envelope.message).toMatch(/^messages\[0\]\.parts\[1\]\.url: /);

    const noUser = (await sdk.transport().sendMessages(chatId(sdk), [{ id: "a", role: "assistant", parts: [{ type: "text", text: "hi" }] }]).catch((e: unknown) => e)) as Error;
    expect(JSON.parse(noUser.message)).toMatchObject({ code: 400, message: expect.stringMatching(/^messages: /) });

    const anonymous = (await sdk.transport({ key: null }).sendMessages(chatId(sdk), [user("hi")]).catch((e: unknown) => e)) as Error;
    expect(JSON.parse(anonymous.message)).toMatchObject({ code: 401 });
  });

  it("an upstream failure after the stream started: an error chunk the SDK reports through onError, with the answer so far kept", async () => {
    const reader = await sdk.transport().sendMessages(chatId(sdk), [user("[[fake:break]]")]);
    const { final } = await collect(reader);
    expect(reader.chunks.at(-1)).toMatchObject({ type: "error", errorText: expect.any(String) });
    const errorText = reader.chunks.at(-1)!.errorText as string;
    expect(reader.errors).toContain(`Error: ${errorText}`);
    expect(final.metadata).toMatchObject({ requestId: final.id, code: 502 });
    expect(textOf(final).length).toBeGreaterThan(0);
    expect(await reader.finished).toMatchObject({ isAborted: false });
  });

  it("keep-alives: the SSE comments sent in a quiet stream are skipped by the SDK's parser", async () => {
    const id = chatId(sdk);
    const reader = await sdk.transport().sendMessages(id, [user("[[fake:chunks n=2 delay=500]]")]);
    // The same run read raw alongside: the pings are on the wire.
    const raw = fetch(`${dev.url}/api/ui/chat/${id}/stream`, { headers: headersOf(undefined) }).then((res) => res.text());
    const { final } = await collect(reader);
    expect(reader.errors).toEqual([]);
    expect(textOf(final)).toBe(words(2));
    expect(reader.chunks.at(-1)).toMatchObject({ type: "finish" });
    expect(await raw).toContain("\n: ping\n\n");
  });

  it("resume: after the first stream is aborted mid-way, reconnectToStream replays the whole run from its start and it completes", async () => {
    const id = chatId(sdk);
    const transport = sdk.transport();
    const abort = new AbortController();
    const first = await transport.sendMessages(id, [user("[[fake:chunks n=120 delay=20]]")], abort.signal);
    let partial = "";
    for await (const message of first.messages) {
      partial = textOf(message);
      if (partial.length > 0) {
        abort.abort();
        break;
      }
    }
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(words(120).length);
    const started = first.chunks[0];
    expect(started).toMatchObject({ type: "start", messageId: expect.stringMatching(/^req_/) });

    const resumed = await transport.reconnectToStream(id);
    expect(resumed).not.toBeNull();
    const { final } = await collect(resumed!);
    expect(resumed!.errors).toEqual([]);
    // From its start: the same run (same message id), every step from System's start, every word.
    expect(resumed!.chunks[0]).toEqual(started);
    expect(resumed!.chunks.find((c) => c.type === "data-step")).toMatchObject({ data: { tool_type: "System", tool_status: "Start" } });
    expect(final.id).toBe(started.messageId);
    expect(textOf(final)).toBe(words(120));
    expect(final.metadata).toMatchObject({ requestId: started.messageId, usage: expect.any(Object) });
    expect(resumed!.chunks.at(-1)).toMatchObject({ type: "finish" });
    expect(await resumed!.finished).toMatchObject({ isAborted: false });
    // Over: nothing to resume.
    expect(await transport.reconnectToStream(id)).toBeNull();
  });

  it("stop: POST …/stop ends the stream with abort, the SDK sees an aborted message with the partial answer; then reconnect gives null (204)", async () => {
    const id = chatId(sdk);
    const transport = sdk.transport();
    const reader = await transport.sendMessages(id, [user("[[fake:chunks n=300 delay=20]]")]);
    const snapshots: (Msg5 | Msg6)[] = [];
    let stopped: Promise<Response> | undefined;
    for await (const message of reader.messages) {
      snapshots.push(structuredClone(message));
      if (!stopped && textOf(message).length > 0) {
        stopped = fetch(`${dev.url}/api/ui/chat/${id}/stop`, { method: "POST", headers: headersOf(undefined) });
      }
    }
    const res = await stopped!;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: 200, message: "Stopped", data: { answer: expect.stringMatching(/^w0 /) } });

    const { isAborted, responseMessageId } = await reader.finished;
    expect(isAborted).toBe(true);
    expect(reader.errors).toEqual([]);
    expect(reader.chunks.at(-1)).toEqual({ type: "abort" });
    const final = snapshots.at(-1)!;
    expect(responseMessageId).toBe(final.id);
    expect(textOf(final).length).toBeGreaterThan(0);
    expect(textOf(final).length).toBeLessThan(words(300).length);
    expect(words(300).startsWith(textOf(final))).toBe(true);
    expect(final.metadata).toMatchObject({ requestId: final.id, code: 499 });

    expect(await transport.reconnectToStream(id)).toBeNull();
    // Stopping again: nothing is running.
    expect((await fetch(`${dev.url}/api/ui/chat/${id}/stop`, { method: "POST", headers: headersOf(undefined) })).status).toBe(404);
  });
});

/**
 * ai 6's own Chat (AbstractChat, which useChat wraps) with an in-memory state, as an app would run
 * it: `sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses`, so that
 * `addToolApprovalResponse` sends the answers in the next request once every waiting call has one.
 */
class Chat6 extends aiV6.AbstractChat<Msg6> {
  readonly changes = new EventTarget();
  /** `init`: the chat's first messages and its own transport (by default the plain one, with `USER_BODY`). */
  constructor(id: string, init: { messages?: Msg6[]; transport?: aiV6.ChatTransport<Msg6> } = {}) {
    const messages: Msg6[] = [...(init.messages ?? [])];
    const changed = () => this.changes.dispatchEvent(new Event("change"));
    let status: aiV6.ChatStatus = "ready";
    let error: Error | undefined;
    super({
      id,
      transport: init.transport ?? new aiV6.DefaultChatTransport<Msg6>({ api: api(), headers: headersOf(undefined), body: USER_BODY }),
      sendAutomaticallyWhen: aiV6.lastAssistantMessageIsCompleteWithApprovalResponses,
      state: {
        get status() { return status; },
        set status(value) { status = value; changed(); },
        get error() { return error; },
        set error(value) { error = value; changed(); },
        get messages() { return messages; },
        set messages(value) { messages.splice(0, messages.length, ...value); changed(); },
        pushMessage: (message) => { messages.push(message); changed(); },
        popMessage: () => { messages.pop(); changed(); },
        replaceMessage: (index, message) => { messages[index] = message; changed(); },
        snapshot: (thing) => structuredClone(thing),
      },
    });
  }

  /** Resolves once `check` holds for the chat (checked on every change), or rejects after `ms`. */
  until<T>(check: (chat: this) => T | undefined | false, ms = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const value = check(this);
        if (value) {
          clearTimeout(timer);
          this.changes.removeEventListener("change", look);
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        this.changes.removeEventListener("change", look);
        reject(new Error(`timed out; status ${this.status} ${this.error?.message ?? ""}, last message ${JSON.stringify(this.messages.at(-1))?.slice(0, 2000)}`));
      }, ms);
      this.changes.addEventListener("change", look);
      look();
    });
  }

  toolParts() {
    const last = this.messages.at(-1);
    return last?.role === "assistant" ? last.parts.filter((p) => p.type === "dynamic-tool") : [];
  }
}

/** A JSON POST with the key, past the SDK: requests it would not send. */
const postJson = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { ...headersOf(undefined), "content-type": "application/json" }, body: JSON.stringify(body) });

/**
 * The AI SDK's message persistence pattern with the service keeping the messages (docs/ai-sdk.md):
 * `prepareSendMessagesRequest` sends only the last message (`message`), and a new Chat is given
 * what `GET /api/ui/chat/{id}/messages` answers as its `messages`.
 */
describe("ai 6: the conversation kept by the service (one message per request, messages loaded back)", () => {
  /** The docs' transport; what it sends goes into `sent`. */
  const persisting = (sent: unknown[]) =>
    new aiV6.DefaultChatTransport<Msg6>({
      api: api(),
      headers: headersOf(undefined),
      fetch: async (input, init) => {
        sent.push(JSON.parse(String(init?.body)));
        return fetch(input, init);
      },
      prepareSendMessagesRequest: ({ id, messages, trigger, messageId }) => ({ body: { id, message: messages.at(-1), trigger, messageId, user_id: "persist_user" } }),
    });
  const load = async (id: string) => {
    const res = await fetch(`${api()}/${id}/messages`, { headers: headersOf(undefined) });
    expect(res.status).toBe(200);
    return (await res.json()) as Msg6[];
  };
  const finished = (chat: Chat6, n: number) => chat.until(() => chat.status === "ready" && chat.messages.length === n && chat.messages.at(-1)!.metadata?.usage && chat.messages.at(-1));

  it("two turns each send only their new message; GET …/messages gives all four back, and a Chat started from them goes on with the stored conversation", async () => {
    const id = chatId(v6);
    const sent: unknown[] = [];
    const chat = new Chat6(id, { transport: persisting(sent) });
    await chat.sendMessage({ text: "first question" });
    await finished(chat, 2);
    const nonce = newNonce();
    await chat.sendMessage({ text: `second question ${nonce}` });
    await finished(chat, 4);
    expect(chat.error).toBeUndefined();

    // Each request: one message, the last one, and the fields the example sends.
    expect(sent).toHaveLength(2);
    for (const [i, text] of ["first question", `second question ${nonce}`].entries()) {
      expect(sent[i]).toEqual({ id, message: { id: expect.any(String), role: "user", parts: [{ type: "text", text }] }, trigger: "submit-message", user_id: "persist_user" });
      expect(sent[i]).not.toHaveProperty("messages");
    }
    // The model got the stored conversation before the new message.
    const [record] = await fakeRequests(fake(), nonce);
    const model = JSON.parse(record.body) as { messages: { role: string }[] };
    expect(model.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);

    const stored = await load(id);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(stored.map((m) => m.id)).toEqual(chat.messages.map((m) => m.id));
    expect(stored.map(textOf)).toEqual(chat.messages.map(textOf));
    expect(stored.map(textOf)).toEqual(["first question", "echo: first question", `second question ${nonce}`, `echo: second question ${nonce}`]);
    expect(stepsOf(stored[3]).map((s) => s.step.tool_type)).toEqual(stepsOf(chat.messages[3]).map((s) => s.step.tool_type));

    // Another Chat (a reload, another device) starts from them and goes on: one message again.
    const again = new Chat6(id, { transport: persisting(sent), messages: stored });
    const third = newNonce();
    await again.sendMessage({ text: `third ${third}` });
    await finished(again, 6);
    expect((sent[2] as { message: { parts: unknown[] } }).message.parts).toEqual([{ type: "text", text: `third ${third}` }]);
    const [thirdRecord] = await fakeRequests(fake(), third);
    expect((JSON.parse(thirdRecord.body) as { messages: unknown[] }).messages).toHaveLength(5);
    expect((await load(id)).map(textOf).at(-1)).toBe(`echo: third ${third}`);
  });

  it("regenerate() sends the last user message again with trigger regenerate-message: the stored answer is replaced, not added", async () => {
    const id = chatId(v6);
    const sent: unknown[] = [];
    const chat = new Chat6(id, { transport: persisting(sent) });
    await chat.sendMessage({ text: "answer me twice" });
    const first = await finished(chat, 2);
    await chat.regenerate();
    const second = await chat.until(() => chat.status === "ready" && chat.messages.length === 2 && chat.messages[1].id !== first.id && chat.messages[1].metadata?.usage && chat.messages[1]);
    expect(sent.at(-1)).toMatchObject({ id, trigger: "regenerate-message", message: { id: chat.messages[0].id, role: "user" } });
    const stored = await load(id);
    expect(stored.map((m) => m.id)).toEqual([chat.messages[0].id, second.id]);
  });
});

describe("ai 6: tool approval through the SDK's own approval flow (AbstractChat, addToolApprovalResponse)", () => {
  const infoArgs = (id: string) => encodeURIComponent(JSON.stringify({ model_id: id }));
  const waitingParts = (chat: Chat6, n: number) => {
    const parts = chat.toolParts().filter((p) => p.state === "approval-requested");
    return chat.status === "ready" && parts.length === n && parts;
  };

  it("approved: the response stops at the approval request, the answer goes in the next request, the tool runs and the answer follows in the same message", async () => {
    const chat = new Chat6(chatId(v6));
    const posts: string[] = [];
    await chat.sendMessage({ text: `[[fake:tools name=get_model_info args=${infoArgs("Qwen/Qwen2.5-7B-Instruct")}]] info please` });
    const [waiting] = (await chat.until(() => waitingParts(chat, 1)))!;
    expect(waiting).toMatchObject({ type: "dynamic-tool", toolName: "get_model_info", input: { model_id: "Qwen/Qwen2.5-7B-Instruct" }, approval: { id: expect.stringMatching(/^apr_[0-9a-f]{12}$/) } });
    const { approval } = waiting as { approval: { id: string } };
    const messageId = chat.messages.at(-1)!.id;
    // Its MCP step says it waits for approval.
    const stepOfCall = stepsOf(chat.messages.at(-1)!).find((s) => s.id === waiting.toolCallId)!;
    expect(stepOfCall.step.tool_status).toBe("Start");
    expect(JSON.parse(stepOfCall.step.parameters)).toMatchObject({ tool: "get_model_info", server: "modelscope", approval: "pending" });
    // The run is still going on the server, waiting: a plain second request is a 409.
    const conflict = await postJson(api(), { id: chat.id, messages: [user("hello")] });
    expect(conflict.status).toBe(409);
    posts.push("approve");

    await chat.addToolApprovalResponse({ id: approval.id, approved: true });
    const done = await chat.until(() => chat.status === "ready" && chat.toolParts()[0]?.state === "output-available" && chat.messages.at(-1)!.metadata?.usage && chat.messages.at(-1));
    expect(chat.error).toBeUndefined();
    expect(chat.messages).toHaveLength(2);
    expect(done.id).toBe(messageId);
    const [tool] = chat.toolParts();
    expect((tool as { output: unknown }).output).toEqual(expect.stringContaining("Qwen2.5-7B-Instruct"));
    expect(textOf(done)).toMatch(/^tool result: /);
    const finalStep = stepsOf(done).find((s) => s.id === tool.toolCallId)!.step;
    expect(finalStep.tool_status).toBe("Success");
    expect(JSON.parse(finalStep.parameters)).toMatchObject({ approval: "approved" });
  });

  it("denied with a reason: the tool part ends output-denied, its step Error with the reason, and the model answers without it", async () => {
    const chat = new Chat6(chatId(v6));
    await chat.sendMessage({ text: `[[fake:tools name=get_model_info args=${infoArgs("x/y")}]] info please` });
    const [waiting] = (await chat.until(() => waitingParts(chat, 1)))!;
    await chat.addToolApprovalResponse({ id: (waiting as { approval: { id: string } }).approval.id, approved: false, reason: "not now" });
    const done = await chat.until(() => chat.status === "ready" && chat.toolParts()[0]?.state === "output-denied" && chat.messages.at(-1)!.metadata?.usage && chat.messages.at(-1));
    expect(chat.error).toBeUndefined();
    const step = stepsOf(done).find((s) => s.id === waiting.toolCallId)!.step;
    expect(step).toMatchObject({ tool_status: "Error", observation: "Not approved: not now" });
    expect(textOf(done)).toContain("The user declined this tool call (not now)");
  });

  it("two calls waiting at once: one response asks for both; the answers go together; a reload meanwhile resumes up to the pause", async () => {
    const chat = new Chat6(chatId(v6));
    await chat.sendMessage({ text: `[[fake:tools n=2 name=get_model_info args=${infoArgs("Qwen/Qwen2.5-7B-Instruct")}]] two` });
    const parts = (await chat.until(() => waitingParts(chat, 2)))!;
    const ids = parts.map((p) => (p as { approval: { id: string } }).approval.id);
    expect(new Set(ids).size).toBe(2);

    // A page reloaded now resumes the running chat the SDK's way: up to the same pause, both requests again.
    const resumed = await v6.transport().reconnectToStream(chat.id);
    const { final } = await collect(resumed!);
    expect(resumed!.chunks.filter((c) => c.type === "tool-approval-request").map((c) => c.approvalId)).toEqual(ids);
    expect(resumed!.chunks.at(-1)).toEqual({ type: "finish" });
    expect(final.parts.filter((p) => p.type === "dynamic-tool").map((p) => p.state)).toEqual(["approval-requested", "approval-requested"]);

    await chat.addToolApprovalResponse({ id: ids[0], approved: true });
    // One answer is not enough for sendAutomaticallyWhen: nothing is sent until both have one.
    expect(chat.status).toBe("ready");
    await chat.addToolApprovalResponse({ id: ids[1], approved: false });
    await chat.until(() => chat.status === "ready" && chat.messages.at(-1)!.metadata?.usage);
    expect(chat.toolParts().map((p) => p.state)).toEqual(["output-available", "output-denied"]);
    expect(chat.error).toBeUndefined();
  });

  it("answers for approvals the chat does not have are a 404 naming them; a malformed approval is a 400 naming the field", async () => {
    const id = chatId(v6);
    const post = (messages: unknown[]) => postJson(api(), { id, messages });
    const answered = (approval: object) => ({ id: "a1", role: "assistant", parts: [{ type: "dynamic-tool", toolName: "x", toolCallId: "c1", state: "approval-responded", input: {}, approval }] });
    const unknown = await post([user("hi"), answered({ id: "apr_000000000000", approved: true })]);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/approval/);
    const malformed = await post([user("hi"), answered({ id: "apr_000000000000", approved: "yes" })]);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { message: string }).message).toMatch(/^messages\[1\]\.parts\[0\]\.approval: /);
  });

  it("with approval_flow: data (for ai 5, which has no approval flow) ai 5 reads a waiting call as a data-approval part, answered over REST", async () => {
    const id = chatId(v5);
    const reader = await v5.transport({ body: { ...USER_BODY, approval_flow: "data" } }).sendMessages(id, [user(`[[fake:tools name=get_model_info args=${infoArgs("Qwen/Qwen2.5-7B-Instruct")}]] info`)]);
    let answered = false;
    const snapshots: Msg5[] = [];
    for await (const message of reader.messages) {
      snapshots.push(structuredClone(message));
      const request = message.parts.find((p) => (p.type as string) === "data-approval") as unknown as { data: { approval_id: string } } | undefined;
      if (request && !answered) {
        answered = true;
        const res = await postJson(`${api()}/${id}/approvals/${request.data.approval_id}`, { approve: true });
        expect(res.status).toBe(200);
      }
    }
    expect(reader.errors).toEqual([]);
    expect(answered).toBe(true);
    const final = snapshots.at(-1)!;
    expect(final.parts.find((p) => p.type === "dynamic-tool")).toMatchObject({ state: "output-available" });
    expect(textOf(final)).toMatch(/^tool result: /);
  });
});

describe("the AI SDK stays out of the Worker", () => {
  const SDK_PACKAGES = /^(ai|ai-v\d+|@ai-sdk\/.+|react|react-dom|swr|throttleit)$/;

  it("is a devDependency only: ai 5 and 6 at the root, ai 7 and @ai-sdk/react 4 in the useChat page's own folder", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).filter((name) => SDK_PACKAGES.test(name))).toEqual([]);
    expect(pkg.devDependencies).toMatchObject({ "ai-v5": "npm:ai@5.0.277", "ai-v6": "npm:ai@6.0.325" });
    const page = JSON.parse(readFileSync(join(ROOT, "tools/fakes/ai-sdk-page/package.json"), "utf8")) as { private: boolean; dependencies: Record<string, string> };
    expect(page.private).toBe(true);
    expect(page.dependencies).toMatchObject({ ai: expect.stringMatching(/^7\.\d+\.\d+$/), "@ai-sdk/react": expect.stringMatching(/^4\.\d+\.\d+$/) });
  });

  it("is not in the bundle wrangler deploys (esbuild's metafile of `wrangler deploy --dry-run`)", () => {
    // The run's bundle (tools/build/worker-bundle.ts), which the end-to-end tests boot.
    const { metafile } = readWorkerBundle(inject("workerBundle"));
    const inputs = Object.keys((JSON.parse(readFileSync(metafile, "utf8")) as { inputs: Record<string, unknown> }).inputs);
    const packages = new Set(inputs.flatMap((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? []));
    expect(packages.has("hono")).toBe(true); // the metafile lists the Worker's packages
    expect([...packages].filter((name) => SDK_PACKAGES.test(name))).toEqual([]);
  });
});
