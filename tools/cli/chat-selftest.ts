/**
 * `npm run chat -- --selftest [URL]`: six checks against a running server, each reported; the
 * exit code is 1 when any fails. Uses the typed client, like any other client would.
 */
import { ChatApiError, health, streamChat, type ChatEvent, type ChatRequest, type Envelope, type Step, type StreamOptions } from "../../client/src";
import { base64, tinyPng } from "../png";

/** An 8×8 PNG (a gradient), so the image check needs no file. */
const PNG_8X8 = `data:image/png;base64,${base64(tinyPng(8, 8))}`;

export interface SelftestOptions {
  baseUrl: string;
  apiKey?: string;
  lang?: "zh" | "en";
  out?: (line: string) => void;
}

interface Check {
  name: string;
  /** Resolves to a short detail when the check passes; throws (with the reason) when it fails. */
  run(): Promise<string>;
}

class CheckFailed extends Error {}
function expect(condition: unknown, reason: string): asserts condition {
  if (!condition) throw new CheckFailed(reason);
}

interface Streamed {
  events: ChatEvent[];
  /** Arrival time (ms since the request) of each event. */
  times: number[];
  end: Envelope & { type: "done" | "error" };
}

export async function selftest(options: SelftestOptions): Promise<boolean> {
  const out = options.out ?? ((line: string) => console.log(line));
  const user = `selftest_${Date.now().toString(36)}`;
  const opts = (format: "ndjson" | "sse" = "ndjson"): StreamOptions => ({
    baseUrl: options.baseUrl, apiKey: options.apiKey, lang: options.lang ?? "zh", format, signal: AbortSignal.timeout(60_000),
  });
  const request = (query: ChatRequest["query"]): ChatRequest => ({ user_id: user, query });

  async function stream(query: ChatRequest["query"], format: "ndjson" | "sse" = "ndjson"): Promise<Streamed> {
    const events: ChatEvent[] = [];
    const times: number[] = [];
    const t0 = performance.now();
    for await (const event of streamChat(request(query), opts(format))) {
      events.push(event);
      times.push(performance.now() - t0);
    }
    const end = events.at(-1) as Streamed["end"];
    expect(end.type === "done", `the stream ended with ${end.type} ${end.code}: ${end.message}`);
    return { events, times, end };
  }

  const steps = (s: Streamed, tool: Step["tool_type"]) => s.end.data.steps.filter((step) => step.tool_type === tool);
  const parserParams = (s: Streamed) => JSON.parse(steps(s, "InputParser")[0]?.parameters ?? "{}") as { query_items?: number; images?: number };

  const checks: Check[] = [
    {
      name: "health",
      async run() {
        const h = await health({ baseUrl: options.baseUrl, signal: AbortSignal.timeout(10_000) });
        expect(h.status === "healthy", `status is ${JSON.stringify(h.status)}`);
        return `status ${h.status}`;
      },
    },
    {
      name: "text only",
      async run() {
        const s = await stream([{ role: "user", content: options.lang === "en" ? "Hello, who are you?" : "你好，请用一句话介绍你自己" }]);
        expect(s.end.data.answer, "the answer is empty");
        for (const tool of ["System", "InputParser"] as const) {
          expect(steps(s, tool).some((step) => step.tool_status === "Success"), `no successful ${tool} step`);
        }
        // AzureOpenAI, or OpenAI when the service runs on an OpenAI-compatible upstream.
        const model = [...steps(s, "AzureOpenAI"), ...steps(s, "OpenAI")];
        expect(model.some((step) => step.tool_status === "Success"), "no successful model step (AzureOpenAI or OpenAI)");
        return `${s.end.data.answer!.length} characters, ${s.end.data.steps.length} steps`;
      },
    },
    {
      name: "text with an image",
      async run() {
        const s = await stream([{ role: "user", content: [{ type: "input_text", text: options.lang === "en" ? "What is in this image?" : "这张图片里是什么？" }, { type: "input_image", image_url: PNG_8X8 }] }]);
        expect(parserParams(s).images === 1, `InputParser counted ${parserParams(s).images} images, not 1`);
        expect(s.end.data.answer, "the answer is empty");
        return `1 image, ${s.end.data.answer!.length} characters`;
      },
    },
    {
      name: "several query items",
      async run() {
        const s = await stream([
          { role: "system", content: "You are concise." },
          { role: "user", content: "记住这个数字：42" },
          { role: "assistant", content: [{ type: "output_text", text: "好的，我记住了 42。" }] },
          { role: "user", content: "我刚才让你记住的数字是多少？" },
        ]);
        expect(parserParams(s).query_items === 4, `InputParser counted ${parserParams(s).query_items} query items, not 4`);
        return `4 query items, ${s.end.data.answer?.length ?? 0} characters`;
      },
    },
    {
      name: "streaming",
      async run() {
        const s = await stream([{ role: "user", content: "请用三句话介绍一下杭州" }]);
        const deltas = s.events.filter((e) => e.type === "delta").map((e) => (e.type === "delta" ? e.text : ""));
        expect(deltas.length > 1, `${deltas.length} delta events`);
        expect(deltas.join("") === s.end.data.answer, "the deltas do not add up to the answer");
        expect(s.events[0].type === "step", `the first event is ${s.events[0].type}, not a step`);
        const spread = s.times.at(-1)! - s.times[0];
        expect(new Set(s.times.map((t) => Math.round(t))).size > 1, "every event arrived at once (buffered, not streamed)");
        const sse = await stream([{ role: "user", content: "SSE?" }], "sse");
        expect(sse.end.data.steps.length > 0, "SSE: no steps");
        return `${s.events.length} events over ${Math.round(spread)} ms; SSE ${sse.events.length} events`;
      },
    },
    {
      name: "MCP tool path",
      async run() {
        const s = await stream([{ role: "user", content: options.lang === "en" ? "Please find me a qwen model" : "帮我找一个 qwen 模型" }]);
        const mcp = steps(s, "MCP");
        expect(mcp.length > 0, "no MCP step (is MCP_SERVER_URL set?)");
        const calls = mcp.filter((step) => "tool" in (JSON.parse(step.parameters) as object));
        expect(calls.length > 0, "the model called no MCP tool");
        const failed = calls.find((step) => step.tool_status !== "Success");
        expect(!failed, `tool call failed: ${failed?.observation ?? failed?.present_content}`);
        const names = calls.map((step) => (JSON.parse(step.parameters) as { tool: string }).tool);
        return `called ${names.join(", ")}`;
      },
    },
  ];

  out(`selftest against ${options.baseUrl}`);
  let failed = 0;
  for (const check of checks) {
    const t0 = performance.now();
    try {
      const detail = await check.run();
      out(`✔ PASS ${check.name}: ${detail} (${Math.round(performance.now() - t0)} ms)`);
    } catch (error) {
      failed++;
      out(`✘ FAIL ${check.name}: ${reason(error)} (${Math.round(performance.now() - t0)} ms)`);
    }
  }
  out(failed ? `${failed} of ${checks.length} checks failed` : `all ${checks.length} checks passed`);
  return failed === 0;
}

function reason(error: unknown): string {
  if (error instanceof ChatApiError) return `error ${error.code}: ${error.message}`;
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message;
    return why ? `${error.message} (${why})` : error.message;
  }
  return String(error);
}
