/**
 * Step texts (`present_content`) are wholly in the request's language (Accept-Language), the
 * reasons of failures too: in Chinese the reason is said in Chinese, and the service's English
 * message (with the setting to check) stays in the step's `observation` and the envelope. In
 * English the reason is that message.
 */
import { describe, expect, it } from "vitest";
import type { Step } from "../../src/schema/events";
import { newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import { fakeUrl, fetchApp, ndjson, post, terminal, userText } from "./helpers";

/** Latin words a Chinese step text may hold: names of products, settings, deployments, tools and the user. */
const NAMES = /Azure OpenAI|MCP|gpt-[\w.]+|deployment|user_\w+|\bdemo\b|GPT-4\.1/g;

function expectChinese(steps: Step[]) {
  for (const step of steps) expect(step.present_content.replace(NAMES, ""), step.present_content).not.toMatch(/[A-Za-z]{2,}/);
}

const system = (steps: Step[]) => steps.find((s) => s.tool_type === "System")!;

describe("the reason a chat failed, in its step text", () => {
  it.each([
    ["refused credentials", "[[fake:auth]]", "Azure OpenAI 不接受服务配置的凭据", /AZURE_OPENAI_API_KEY/],
    ["no such deployment", "[[fake:not_found]]", "Azure OpenAI 上没有找到配置的部署", /AZURE_OPENAI_DEPLOYMENT_NAME/],
    ["the prompt filtered", "[[fake:prompt_filter]]", "提示内容被 Azure OpenAI 的内容过滤器拦截", /content filter/],
    ["the answer filtered", "[[fake:answer_filter]]", "回答被 Azure OpenAI 的内容过滤器截断", /content filter/],
    ["a broken stream", "[[fake:break]]", "Azure OpenAI 的数据流中断或损坏", /finish reason/],
  ])("%s: Chinese by default, the English message in the observation; English on request", async (_, marker, zh, english) => {
    const zhEnd = terminal(await ndjson(await post(userText(marker))));
    expect(zhEnd.type).toBe("error");
    expect(system(zhEnd.data.steps).present_content).toBe(`请求处理失败：${zh}`);
    expect(system(zhEnd.data.steps).observation).toMatch(english);
    expectChinese(zhEnd.data.steps);

    const enEnd = terminal(await ndjson(await post(userText(marker), { lang: "en" })));
    expect(system(enEnd.data.steps).present_content).toBe(`Request failed: ${enEnd.message}`);
    expect(enEnd.message).toMatch(english);
  });

  it("a timeout (UPSTREAM_TIMEOUT_MS)", async () => {
    const env = { UPSTREAM_TIMEOUT_MS: "300" };
    const end = terminal(await ndjson(await post(userText("[[fake:hang_start]]"), { env })));
    expect(end.code).toBe(504);
    expect(system(end.data.steps).present_content).toBe("请求处理失败：Azure OpenAI 响应超时");
    expectChinese(end.data.steps);
  });

  it("a stopped run: 已被客户端停止 / Stopped by the client", async () => {
    for (const [lang, text] of [["zh", "请求处理失败：已被客户端停止"], ["en", "Request failed: Stopped by the client"]] as const) {
      const id = `chat_${crypto.randomUUID().slice(0, 8)}`;
      const nonce = newNonce();
      const res = await post(userText(`[[fake:chunks n=400 delay=20]] ${nonce}`, { chat_id: id }), { lang });
      await waitForFake(fakeUrl(), nonce, (r) => r.length === 1);
      expect((await fetchApp(new Request(`http://chatapi.test/api/chat/${id}/stop`, { method: "POST" }))).status).toBe(200);
      const end = terminal(await ndjson(res));
      expect(end.code).toBe(499);
      expect(system(end.data.steps).present_content).toBe(text);
      if (lang === "zh") expectChinese(end.data.steps);
    }
  });

  it("an MCP server that is down: its listing step in Chinese, the English reason in the observation", async () => {
    const env = { MCP_SERVER_URL: "http://127.0.0.1:9/step-language-mcp" };
    const zh = terminal(await ndjson(await post(userText("no tools today"), { env })));
    const list = zh.data.steps.find((s) => s.tool_type === "MCP")!;
    expect(list.tool_status).toBe("Error");
    expect(list.present_content).toBe("获取 MCP 工具失败：MCP 服务器没有正常响应");
    expect(list.observation).toMatch(/MCP/);
    expectChinese(zh.data.steps);

    const en = terminal(await ndjson(await post(userText("no tools today"), { env, lang: "en" })));
    const enList = en.data.steps.find((s) => s.tool_type === "MCP")!;
    expect(enList.present_content).toBe(`Listing MCP tools failed: ${enList.observation}`);
  });
});
