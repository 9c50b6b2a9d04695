import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_LABEL, DEMO_LABEL_EN, DEMO_MODEL, describeImage, extractQuery, startDemoUpstream, type DemoUpstream } from "../../tools/fakes/demo-upstream";
import { schemaErrors } from "../support/azure-schema";
import { contentOf, readPieces, sseChunks } from "../../tools/sse";
import { tinyPng as png } from "../../tools/png";

// ---- minimal valid images, written as bytes ----------------------------------------------------

/** A one-colour GIF89a: LZW min code size 2, a clear code before every pixel keeps codes at 3 bits. */
function gif(w: number, h: number): Buffer {
  const codes: number[] = [];
  for (let i = 0; i < w * h; i++) codes.push(4, 0);
  codes.push(5);
  const bytes: number[] = [];
  let acc = 0, nbits = 0;
  for (const c of codes) {
    acc |= c << nbits; nbits += 3;
    while (nbits >= 8) { bytes.push(acc & 0xff); acc >>= 8; nbits -= 8; }
  }
  if (nbits) bytes.push(acc);
  const blocks: number[] = [];
  for (let i = 0; i < bytes.length; i += 255) { const b = bytes.slice(i, i + 255); blocks.push(b.length, ...b); }
  const le = (n: number) => [n & 0xff, n >> 8];
  return Buffer.from([
    ...Buffer.from("GIF89a"), ...le(w), ...le(h), 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
    0x2c, 0, 0, 0, 0, ...le(w), ...le(h), 0, 2, ...blocks, 0, 0x3b,
  ]);
}
// 7×5 baseline JPEG and lossless WebP (made once with libvips; bytes kept as base64).
const JPEG_7x5 = Buffer.from("/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAFAAcDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAH/xAAfEAABBAAHAAAAAAAAAAAAAAAAAQIDEQQFEjJRodL/xAAVAQEBAAAAAAAAAAAAAAAAAAACBf/EAB0RAAIBBAMAAAAAAAAAAAAAAAEDAAIEERIFQVH/2gAMAwEAAhEDEQA/ALk72NxEMOi9q3fESe+gATOQunIdqs4BGeodRVSCfJ//2Q==", "base64");
const WEBP_7x5 = Buffer.from("UklGRiwAAABXRUJQVlA4TCAAAAAvBgABAM1lRP8Dato2guYCKb7y3787BrM9JTEBXFjwAg==", "base64");
/** The JPEG with two 60 KB COM segments after SOI, so its size (SOF0) sits beyond the first 64 KiB. */
function paddedJpeg(): Buffer {
  const com = Buffer.alloc(60004, 0x20);
  com.set([0xff, 0xfe, 60002 >> 8, 60002 & 0xff]);
  return Buffer.concat([JPEG_7x5.subarray(0, 2), com, com, JPEG_7x5.subarray(2)]);
}
const dataUrl = (type: string, b: Uint8Array) => `data:image/${type};base64,${Buffer.from(b).toString("base64")}`;

// ---- server ---------------------------------------------------------------------------------

let demo: DemoUpstream;
beforeAll(async () => { demo = await startDemoUpstream({ port: 0, delayMs: 0 }); });
afterAll(async () => { await demo.close(); });

function post(body: unknown, base = demo.url) {
  return fetch(`${base}openai/deployments/gpt-4.1/chat/completions?api-version=2024-10-21`, {
    method: "POST", headers: { "content-type": "application/json", "api-key": "anything" }, body: JSON.stringify(body),
  });
}
const req = (messages: unknown[], extra: Record<string, unknown> = {}) => ({ messages, stream: true, stream_options: { include_usage: true }, ...extra });
async function streamed(body: unknown) {
  const res = await post(body);
  expect(res.status).toBe(200);
  const { chunks, done } = sseChunks(await res.text());
  expect(done).toBe(true);
  expect(chunks[0]).toMatchObject({ choices: [], prompt_filter_results: [{ prompt_index: 0 }] });
  const body2 = chunks.slice(1);
  for (const c of body2) {
    expect(c.model).toBe(DEMO_MODEL);
    if (c.choices.length) expect(schemaErrors("createChatCompletionStreamResponse", c)).toEqual([]);
  }
  const choices = body2.filter((c) => c.choices.length).map((c) => c.choices[0]);
  return { chunks: body2, text: contentOf(body2), finish: choices[choices.length - 1].finish_reason, choices };
}
const images = [dataUrl("png", png(3, 2)), dataUrl("jpeg", JPEG_7x5), dataUrl("gif", gif(5, 3)), dataUrl("webp", WEBP_7x5), "https://example.com/cat.png"];
const userWithImages = (text: string) => ({ role: "user", content: [{ type: "text", text }, ...images.map((url) => ({ type: "image_url", image_url: { url, detail: "auto" } }))] });

describe("demo upstream answers", () => {
  it("describes the request in English, with each image's format and size, labelled as a demo", async () => {
    const { text, finish, chunks } = await streamed(req([{ role: "system", content: "be brief" }, userWithImages("What is in these pictures?")]));
    expect(text.startsWith(DEMO_LABEL_EN)).toBe(true);
    expect(text).not.toMatch(/[\u3400-\u9fff]/);
    expect(text).not.toMatch(/I am GPT-4\.1/);
    expect(text).toContain("received 2 messages");
    expect(text).toContain('"What is in these pictures?"');
    for (const s of ["image 1: PNG, 3×2 pixels", "image 2: JPEG, 7×5 pixels", "image 3: GIF, 5×3 pixels", "image 4: WEBP, 7×5 pixels", "image 5: an https URL, not fetched"]) expect(text).toContain(s);
    expect(finish).toBe("stop");
    const usage = chunks[chunks.length - 1];
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(Math.ceil(text.length / 4));
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBeGreaterThan(20);
  });

  it("answers in Chinese when the user writes Chinese", async () => {
    const { text } = await streamed(req([userWithImages("这是什么图像？")]));
    expect(text.startsWith(DEMO_LABEL)).toBe(true);
    expect(text).toContain("收到了 1 条消息");
    expect(text).toContain("「这是什么图像？」");
    expect(text).toContain("第 1 张：PNG，3×2 像素");
    expect(text).toContain("第 5 张：https 链接，演示模式未下载");
  });

  it("answers a non-streaming request with a chat.completion JSON", async () => {
    const res = await post({ messages: [{ role: "user", content: "hi" }] });
    const body = await res.json();
    expect(schemaErrors("createChatCompletionResponse", body)).toEqual([]);
    expect(body.model).toBe(DEMO_MODEL);
    expect(body.choices[0].message.content.startsWith(DEMO_LABEL_EN)).toBe(true);
  });

  it("streams slowly enough to watch (default ~15 ms per chunk)", async () => {
    const slow = await startDemoUpstream({ port: 0 });
    try {
      const res = await post({ messages: [{ role: "user", content: "one two three four five" }], stream: true }, slow.url);
      const { times } = await readPieces(res);
      expect(times.length).toBeGreaterThan(10);
      expect(times[times.length - 1] - times[0]).toBeGreaterThan(150);
    } finally { await slow.close(); }
  });

  it("answers at the OpenAI-compatible /v1/chat/completions too (UPSTREAM=openai for `npm start`), with no key needed", async () => {
    const res = await fetch(`${demo.url}v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "llama3.2", ...req([{ role: "user", content: "Hello there" }]) }),
    });
    expect(res.status).toBe(200);
    const { chunks, done } = sseChunks(await res.text());
    expect(done).toBe(true);
    // An English message: the English label.
    expect(contentOf(chunks)).toContain(DEMO_LABEL_EN);
  });

  it("404s other paths", async () => {
    const res = await fetch(`${demo.url}openai/other`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect(schemaErrors("errorResponse", await res.json())).toEqual([]);
  });
});

describe("demo tool calling", () => {
  const tools = [
    { type: "function", function: { name: "get_time", parameters: { type: "object" } } },
    { type: "function", function: { name: "hf__search_models", parameters: { type: "object" } } },
  ];

  it("calls the search_models tool with a keyword from the Chinese request", async () => {
    const { choices, finish } = await streamed(req([{ role: "user", content: "帮我找一个 qwen 模型" }], { tools }));
    const first = choices[0].delta.tool_calls[0];
    expect(first).toMatchObject({ index: 0, type: "function", function: { name: "hf__search_models", arguments: "" }, id: expect.stringMatching(/^call_/) });
    const args = choices.flatMap((c) => c.delta.tool_calls ?? []).map((t: any) => t.function.arguments).join("");
    expect(JSON.parse(args)).toEqual({ query: "qwen", limit: 5 });
    expect(finish).toBe("tool_calls");
  });

  it("quotes the tool result in a Markdown paragraph of its own (its list stays a list), labelled as a demo", async () => {
    const messages = [
      { role: "user", content: "Please find a model for image classification" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "hf__search_models", arguments: '{"query":"image classification","limit":5}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "1. google/vit-base\n2. microsoft/resnet-50\n\n3. facebook/convnext" },
    ];
    const { text, finish } = await streamed(req(messages, { tools }));
    expect(text.startsWith(DEMO_LABEL_EN)).toBe(true);
    expect(text).toContain("hf__search_models");
    expect(text).toContain(":\n\n1. google/vit-base\n2. microsoft/resnet-50\n3. facebook/convnext");
    expect(finish).toBe("stop");
  });

  it("answers a declined tool call as a model would, without quoting what the Worker told it", async () => {
    const call = { id: "call_1", type: "function", function: { name: "hf__search_models", arguments: '{"query":"qwen","limit":5}' } };
    const declined = "Error: The user declined this tool call (not now). Do not call it again for this request; answer without it.";
    const en = await streamed(req([{ role: "user", content: "find a qwen model" }, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: "call_1", content: declined }], { tools }));
    expect(en.text).toBe(`${DEMO_LABEL_EN} OK, I won't call hf__search_models. If you like, tell me another way to go about it.`);
    const zh = await streamed(req([{ role: "user", content: "帮我找一个 qwen 模型" }, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: "call_1", content: declined }], { tools }));
    expect(zh.text).toBe(`${DEMO_LABEL}好的，我不会调用 hf__search_models。需要的话，可以换个方式告诉我你想做什么。`);
    for (const { text } of [en, zh]) expect(text).not.toMatch(/declined|Do not call/);
  });

  it("calls get_model_info with the model id when asked about one (English or Chinese); without the tool offered, just answers", async () => {
    const infoTools = [...tools, { type: "function", function: { name: "get_model_info", parameters: { type: "object" } } }];
    for (const content of ["介绍一下 Qwen/Qwen2.5-7B-Instruct 的详情", "Tell me about deepseek-ai/DeepSeek-R1"]) {
      const { choices, finish } = await streamed(req([{ role: "user", content }], { tools: infoTools }));
      const args = choices.flatMap((c) => c.delta.tool_calls ?? []).map((t: any) => t.function.arguments).join("");
      expect(choices[0].delta.tool_calls[0].function.name).toBe("get_model_info");
      expect(JSON.parse(args)).toEqual({ model_id: content.includes("Qwen") ? "Qwen/Qwen2.5-7B-Instruct" : "deepseek-ai/DeepSeek-R1" });
      expect(finish).toBe("tool_calls");
    }
    const { finish } = await streamed(req([{ role: "user", content: "Tell me about deepseek-ai/DeepSeek-R1" }], { tools }));
    expect(finish).toBe("stop");
  });

  it("just answers when no search tool is offered", async () => {
    const { text, finish } = await streamed(req([{ role: "user", content: "find a qwen model" }], { tools: [tools[0]] }));
    expect(text).toContain("received 1 message.");
    expect(finish).toBe("stop");
  });
});

describe("demo helpers", () => {
  it("extracts a search keyword", () => {
    expect(extractQuery("帮我找一个 qwen 模型")).toBe("qwen");
    expect(extractQuery("Can you find a model for image classification?")).toBe("image classification");
    expect(extractQuery("帮我搜索图像分类模型")).toBe("图像分类");
  });

  it("reads sizes from the head of large images and falls back to the whole image", () => {
    const big = png(300, 200); // stored uncompressed: 180 KB
    expect(big.length).toBeGreaterThan(100_000);
    expect(describeImage(dataUrl("png", big))).toEqual({ source: "data", format: "PNG", width: 300, height: 200 });
    expect(describeImage(dataUrl("jpeg", paddedJpeg()))).toEqual({ source: "data", format: "JPEG", width: 7, height: 5 });
    expect(describeImage("data:image/png;base64,AAAA")).toEqual({ source: "unknown" });
  });
});
