/**
 * Demo upstream: the embedded local default for `npm start` when no Azure endpoint is configured.
 * It speaks Azure OpenAI's chat-completions wire format (tools/fakes/azure-wire.ts, same path and
 * api-version query, any api-key), also at the OpenAI-compatible `/v1/chat/completions`
 * (`UPSTREAM=openai`, `OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`), and answers deterministically
 * from what it received. It is a
 * demo, clearly labelled as such (model "chatapi-demo"), never GPT-4.1.
 *
 *   npm run demo:upstream -- [--port 8788] [--host 127.0.0.1] [--delay 15]   (scripts/demo-upstream.ts)
 *   import { startDemoUpstream } from "./demo-upstream";               // in-process
 *
 * Answers:
 *   - last message is a `tool` message → a labelled excerpt (first lines) of the tool result, in a
 *     Markdown paragraph of its own (a list when the result is one); when the tool call was declined (the Worker tells the model so in the tool
 *     message), a short acknowledgement instead, as a model would answer, never the instruction;
 *   - the request offers a tool whose name contains `search_models`, the last user text asks to
 *     find/search a model (Chinese or English), and no `tool` message follows it yet → a streamed
 *     call to that tool with {"query": <keyword from the text>, "limit": 5};
 *   - the request offers a tool whose name contains `get_model_info`, the last user text names a
 *     model id (`owner/name`) and asks about it (info, details, 详情, 信息, 介绍), and no `tool`
 *     message follows it yet → a call to that tool with {"model_id": <the id>};
 *   - otherwise: the number of messages received, the last user text, and for each image of that
 *     message its format and pixel size (read from the header; https:// images are not fetched).
 *   Chinese when the last user text contains CJK characters, English otherwise; the demo label too
 *   (DEMO_LABEL, DEMO_LABEL_EN).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { imageSize } from "image-size";
import {
  badRequestError, chatRoute, chunkText, completionBody, estimateTokens, lastUserIndex,
  messageImages, messageText, newMeta, okHeaders, resourceNotFoundError, streamEvents, usageOf,
  type AnswerSpec, type WireMessage, type WireRequest, type WireResponse,
} from "./azure-wire";
import { readBody } from "../http";

export const DEMO_MODEL = "chatapi-demo";
/** A model id as ModelScope writes it, e.g. Qwen/Qwen2.5-7B-Instruct. */
const MODEL_ID_RE = /[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*/;
const INFO_RE = /\b(info|information|details?|about)\b|详情|信息|介绍/i;
/** The label that starts every demo answer: Chinese answers. */
export const DEMO_LABEL = "【演示模式，非 GPT-4.1】";
/** The label that starts every demo answer: English answers. */
export const DEMO_LABEL_EN = "[Demo upstream, not GPT-4.1]";
/** How the Worker tells the model a tool call was declined (src/chat/tool-calls.ts). */
const DECLINED_RE = /^Error: The user declined this tool call/;
export interface DemoUpstream { url: string; close(): Promise<void> }
export interface DemoOptions { port?: number; host?: string; /** ms between streamed chunks (default 15) */ delayMs?: number }

const CJK_RE = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/;
const SEARCH_RE = /(找|搜索|查找|查询|search|find|look ?up).*(模型|model)/i;
const STOP_WORDS = new Set(
  "a an the me my for some any please can could would you i want need to find search look up lookup model models of with about that which is are on in and help show get one good best".split(" "),
);
/** base64 characters decoded first (≈64 KiB of bytes) before falling back to the whole image. */
const HEAD_B64 = 87384;

/** A search keyword from e.g. "帮我找一个 qwen 模型" → "qwen", "find a model for image classification" → "image classification". */
export function extractQuery(text: string): string {
  const latin = (text.match(/[A-Za-z0-9][\w.\-/]*/g) ?? []).filter((w) => !STOP_WORDS.has(w.toLowerCase()));
  if (latin.length > 0) return latin.slice(0, 3).join(" ");
  const cjk = text.replace(/帮我|帮忙|请|给我|找一?下|找|搜索|查找|查询|一个|一些|几个|有没有|相关的?|模型|的|吗|呢|[\s\p{P}]/gu, "");
  return cjk || text.trim().slice(0, 50);
}

export interface ImageInfo { source: "data" | "remote" | "unknown"; format?: string; width?: number; height?: number }

/** Format and pixel size of an image URL, decoding only the head of the base64 when that suffices. */
export function describeImage(url: string): ImageInfo {
  if (/^https?:\/\//i.test(url)) return { source: "remote" };
  const m = /^data:[^,]*;base64,(.*)$/s.exec(url);
  if (!m) return { source: "unknown" };
  const b64 = m[1];
  const attempts = b64.length > HEAD_B64 ? [b64.slice(0, HEAD_B64), b64] : [b64];
  for (const part of attempts) {
    try {
      const r = imageSize(Buffer.from(part, "base64"));
      if (r.width && r.height) return { source: "data", format: r.type === "jpg" ? "JPEG" : (r.type ?? "?").toUpperCase(), width: r.width, height: r.height };
    } catch { /* try the whole image, then give up */ }
  }
  return { source: "unknown" };
}

function imageLine(info: ImageInfo, n: number, zh: boolean): string {
  if (info.source === "remote") return zh ? `第 ${n} 张：https 链接，演示模式未下载` : `image ${n}: an https URL, not fetched in demo mode`;
  if (info.source === "unknown") return zh ? `第 ${n} 张：无法读取尺寸` : `image ${n}: size unreadable`;
  return zh ? `第 ${n} 张：${info.format}，${info.width}×${info.height} 像素` : `image ${n}: ${info.format}, ${info.width}×${info.height} pixels`;
}

function toolName(msgs: WireMessage[], callId: string | undefined): string {
  for (const m of msgs) {
    if (Array.isArray(m.tool_calls)) {
      for (const c of m.tool_calls as { id?: string; function?: { name?: string } }[]) if (c.id === callId && c.function?.name) return c.function.name;
    }
  }
  return "tool";
}

/** What the demo answers to a request (pure, deterministic). */
export function demoAnswer(req: WireRequest): AnswerSpec {
  const msgs = req.messages ?? [];
  const ui = lastUserIndex(msgs);
  const userMsg = ui >= 0 ? msgs[ui] : undefined;
  const userText = userMsg ? messageText(userMsg.content) : "";
  const zh = CJK_RE.test(userText);
  const last = msgs[msgs.length - 1];
  const prompt = estimateTokens(msgs.map((m) => messageText(m.content)).join("\n"));
  const answer = (text: string): AnswerSpec => ({ pieces: chunkText(text), finishReason: "stop", usage: usageOf(prompt, estimateTokens(text)) });

  if (last?.role === "tool") {
    const result = messageText(last.content);
    const name = toolName(msgs, last.tool_call_id);
    if (DECLINED_RE.test(result)) {
      return answer(zh
        ? `${DEMO_LABEL}好的，我不会调用 ${name}。需要的话，可以换个方式告诉我你想做什么。`
        : `${DEMO_LABEL_EN} OK, I won't call ${name}. If you like, tell me another way to go about it.`);
    }
    const lines = result.split("\n").map((l) => l.trimEnd()).filter(Boolean);
    const head = lines.slice(0, 8).map((l) => (l.length > 200 ? l.slice(0, 200) + "…" : l));
    const more = lines.length > head.length;
    // A paragraph of its own after the sentence: a result that is a list (as ModelScope's are) shows as one.
    const list = head.join("\n");
    return answer(zh
      ? `${DEMO_LABEL}工具 ${name} 返回了结果，以下是前 ${head.length} 行（演示模式只摘录，不做真正的总结）：\n\n${list}${more ? "\n\n……" : ""}`
      : `${DEMO_LABEL_EN} The tool ${name} returned a result; its first ${head.length} line(s) (demo mode quotes, it does not really summarise):\n\n${list}${more ? "\n\n…" : ""}`);
  }

  const offered = (req.tools ?? []).map((t) => t.function?.name);
  const search = offered.find((n) => n?.includes("search_models"));
  const info = offered.find((n) => n?.includes("get_model_info"));
  const toolAfter = msgs.slice(ui + 1).some((m) => m.role === "tool");
  const modelId = MODEL_ID_RE.exec(userText)?.[0];
  if (info && modelId && INFO_RE.test(userText) && !toolAfter) {
    const args = JSON.stringify({ model_id: modelId });
    return { toolCalls: [{ name: info, arguments: args }], finishReason: "tool_calls", usage: usageOf(prompt, estimateTokens(info + args)) };
  }
  if (search && SEARCH_RE.test(userText) && !toolAfter) {
    const args = JSON.stringify({ query: extractQuery(userText), limit: 5 });
    return { toolCalls: [{ name: search, arguments: args }], finishReason: "tool_calls", usage: usageOf(prompt, estimateTokens(search + args)) };
  }

  const images = userMsg ? messageImages(userMsg.content).map(describeImage) : [];
  const quoted = userText.length > 500 ? userText.slice(0, 500) + "…" : userText;
  const imgs = images.map((info, i) => imageLine(info, i + 1, zh));
  const text = zh
    ? `${DEMO_LABEL}\n本地演示上游收到了 ${msgs.length} 条消息。你最后说：「${quoted || "（没有文字）"}」。` +
      (imgs.length ? `\n其中有 ${imgs.length} 张图片：${imgs.join("；")}。` : "") +
      "\n配置 AZURE_OPENAI_ENDPOINT 和 AZURE_OPENAI_API_KEY 后即可使用真正的 Azure OpenAI GPT-4.1。"
    : `${DEMO_LABEL_EN}\nThe local demo upstream received ${msgs.length} message${msgs.length === 1 ? "" : "s"}. Your last message: "${quoted || "(no text)"}".` +
      (imgs.length ? `\nIt contains ${imgs.length} image${imgs.length === 1 ? "" : "s"}: ${imgs.join("; ")}.` : "") +
      "\nSet AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY to use the real Azure OpenAI GPT-4.1.";
  const spec = answer(text);
  spec.usage = usageOf(prompt + 85 * images.length, spec.usage!.completion_tokens);
  return spec;
}

const send = (res: ServerResponse, w: WireResponse) => res.writeHead(w.status, w.headers).end(w.body);

async function handle(req: IncomingMessage, res: ServerResponse, delayMs: number) {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method === "GET" && (url.pathname === "/" || url.pathname === "/health")) {
    return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", demo: true, model: DEMO_MODEL }));
  }
  // Azure's classic and v1 paths, an AI Gateway's, and the OpenAI-compatible /v1/chat/completions, as
  // the fake Azure serves them (the demo asks no key).
  const route = req.method === "POST" ? chatRoute(url.pathname) : null;
  if (!route || (route.api !== "v1" && route.api !== "openai" && !url.searchParams.get("api-version"))) return send(res, resourceNotFoundError());
  let body: WireRequest;
  try { body = JSON.parse(await readBody(req)) ?? {}; } catch { return send(res, badRequestError("We could not parse the JSON body of your request.")); }
  const spec = demoAnswer(body);
  const meta = newMeta(DEMO_MODEL, "fp_chatapi_demo");
  if (body.stream !== true) return res.writeHead(200, okHeaders(false)).end(completionBody(spec, meta));
  let closed = false;
  res.on("close", () => { closed = true; });
  res.writeHead(200, okHeaders(true));
  res.flushHeaders();
  for (const event of streamEvents(spec, meta, body.stream_options?.include_usage === true)) {
    if (closed) return;
    res.write(event);
    await new Promise((r) => (delayMs > 0 ? setTimeout(r, delayMs) : setImmediate(r)));
  }
  if (!closed) res.end();
}

export async function startDemoUpstream(opts: DemoOptions = {}): Promise<DemoUpstream> {
  const host = opts.host ?? "127.0.0.1";
  const delayMs = opts.delayMs ?? 15;
  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res, delayMs).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "500", message: String(err) } }));
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${shownHost}:${port}/`,
    close: () => new Promise<void>((ok) => { server.close(() => ok()); server.closeAllConnections(); }),
  };
}
