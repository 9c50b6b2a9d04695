/** Step texts (`present_content`) and the done message: Chinese by default, English on request. */

export type Lang = "zh" | "en";

const texts = {
  zh: {
    systemStart: (user: string) => `开始处理用户 ${user} 的请求`,
    systemDone: "请求处理完成",
    systemError: (message: string) => `请求处理失败：${message}`,
    inputParser: (items: number, images: number) => `解析输入：${items} 条消息，${images} 张图片`,
    model: (deployment: string, demo: boolean) => (demo ? "本地演示上游（demo，非 GPT-4.1）" : `Azure OpenAI 模型 ${deployment}`),
    modelStart: (model: string, round: number) => `调用${model}（第 ${round} 轮）`,
    modelDone: (model: string, round: number) => `${model}第 ${round} 轮完成`,
    modelToolCalls: (model: string, round: number, count: number) => `${model}第 ${round} 轮请求调用 ${count} 个工具`,
    listTools: "获取 MCP 服务器的工具列表",
    listToolsDone: (count: number) => `MCP 服务器提供 ${count} 个工具`,
    listToolsError: (message: string) => `获取 MCP 工具失败：${message}`,
    toolStart: (name: string) => `调用工具 ${name}`,
    toolDone: (name: string) => `工具 ${name} 调用成功`,
    toolError: (name: string) => `工具 ${name} 调用失败`,
    success: "成功",
  },
  en: {
    systemStart: (user: string) => `Processing the request of user ${user}`,
    systemDone: "Request completed",
    systemError: (message: string) => `Request failed: ${message}`,
    inputParser: (items: number, images: number) =>
      `Parsing input: ${items} ${items === 1 ? "message" : "messages"}, ${images} ${images === 1 ? "image" : "images"}`,
    model: (deployment: string, demo: boolean) => (demo ? "the local demo upstream (demo, not GPT-4.1)" : `Azure OpenAI model ${deployment}`),
    modelStart: (model: string, round: number) => `Calling ${model} (round ${round})`,
    modelDone: (model: string, round: number) => `Round ${round} of ${model} finished`,
    modelToolCalls: (model: string, round: number, count: number) =>
      `Round ${round} of ${model} asked for ${count} tool ${count === 1 ? "call" : "calls"}`,
    listTools: "Listing the MCP server's tools",
    listToolsDone: (count: number) => `The MCP server offers ${count} ${count === 1 ? "tool" : "tools"}`,
    listToolsError: (message: string) => `Listing MCP tools failed: ${message}`,
    toolStart: (name: string) => `Calling tool ${name}`,
    toolDone: (name: string) => `Tool ${name} succeeded`,
    toolError: (name: string) => `Tool ${name} failed`,
    success: "Success",
  },
} satisfies Record<Lang, unknown>;

export type Texts = (typeof texts)["zh"];

export function textsFor(lang: Lang): Texts {
  return texts[lang];
}
