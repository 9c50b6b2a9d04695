/**
 * Step texts (`present_content`) and the done message: Chinese by default, English on request.
 * A step text is wholly in the request's language, the reason of a failure too: the service's
 * own English message (what a developer reads, with the setting to check) stays in the step's
 * `observation` and the envelope's `message`.
 */

export type Lang = "zh" | "en";

const texts = {
  zh: {
    systemStart: (user: string) => `开始处理用户 ${user} 的请求`,
    systemDone: "请求处理完成",
    systemError: (message: string) => `请求处理失败：${message}`,
    inputParser: (items: number, images: number) => `解析输入：${items} 条消息，${images} 张图片`,
    historyUsed: (sent: number, leftOut: number) => `；会话记录 ${sent} 条${leftOut ? `（较早的 ${leftOut} 条未发送给模型：超出上限）` : ""}`,
    model: (deployment: string, demo: boolean) => (demo ? "本地演示上游（demo，非 GPT-4.1）" : `Azure OpenAI 模型 ${deployment}`),
    openaiModel: (model: string) => `OpenAI 兼容模型 ${model}`,
    modelStart: (model: string, round: number) => `调用${model}（第 ${round} 轮）`,
    modelDone: (model: string, round: number) => `${model}第 ${round} 轮完成`,
    modelToolCalls: (model: string, round: number, count: number) => `${model}第 ${round} 轮请求调用 ${count} 个工具`,
    listTools: "获取 MCP 服务器的工具列表",
    listToolsDone: (count: number) => `MCP 服务器提供 ${count} 个工具`,
    listToolsError: (server: string | undefined, _message: string) => `获取 MCP 工具失败${server ? `（${server}）` : ""}：MCP 服务器没有正常响应`,
    listServerTools: (server: string) => `获取 MCP 服务器 ${server} 的工具列表`,
    toolsHeldForApproval: (count: number) => `（另有 ${count} 个需要审批的工具未提供：审批需要 chat_id）`,
    toolsOverLimit: (count: number, max: number) => `（另有 ${count} 个工具超出单次请求 ${max} 个的上限，未提供）`,
    toolWaiting: (name: string) => `工具 ${name} 等待审批`,
    toolDenied: (name: string, reason: string) => `工具 ${name} 未获批准：${reason}`,
    approvalTimedOut: "审批超时",
    approvalDenied: "用户拒绝",
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
    historyUsed: (sent: number, leftOut: number) =>
      `; ${sent} stored ${sent === 1 ? "message" : "messages"}${leftOut ? ` (${leftOut} older ${leftOut === 1 ? "one" : "ones"} left out of the model's input: over the limit)` : ""}`,
    model: (deployment: string, demo: boolean) => (demo ? "the local demo upstream (demo, not GPT-4.1)" : `Azure OpenAI model ${deployment}`),
    openaiModel: (model: string) => `OpenAI-compatible model ${model}`,
    modelStart: (model: string, round: number) => `Calling ${model} (round ${round})`,
    modelDone: (model: string, round: number) => `Round ${round} of ${model} finished`,
    modelToolCalls: (model: string, round: number, count: number) =>
      `Round ${round} of ${model} asked for ${count} tool ${count === 1 ? "call" : "calls"}`,
    listTools: "Listing the MCP server's tools",
    listToolsDone: (count: number) => `The MCP server offers ${count} ${count === 1 ? "tool" : "tools"}`,
    listToolsError: (server: string | undefined, message: string) => `Listing MCP tools failed: ${server ? `${server}: ` : ""}${message}`,
    listServerTools: (server: string) => `Listing the tools of MCP server ${server}`,
    toolsHeldForApproval: (count: number) => ` (${count} more ${count === 1 ? "tool needs" : "tools need"} approval and ${count === 1 ? "is" : "are"} not offered: approval needs a chat_id)`,
    toolsOverLimit: (count: number, max: number) => ` (${count} more ${count === 1 ? "tool is" : "tools are"} not offered: one request carries at most ${max})`,
    toolWaiting: (name: string) => `Tool ${name} is waiting for approval`,
    toolDenied: (name: string, reason: string) => `Tool ${name} was not approved: ${reason}`,
    approvalTimedOut: "no answer in time",
    approvalDenied: "declined by the user",
    toolStart: (name: string) => `Calling tool ${name}`,
    toolDone: (name: string) => `Tool ${name} succeeded`,
    toolError: (name: string) => `Tool ${name} failed`,
    success: "Success",
  },
} satisfies Record<Lang, unknown>;

export type Texts = (typeof texts)["zh"];

/** Why a chat failed, in Chinese; in English the error's own message is the reason. */
const reasonsZh = {
  stopped: "已被客户端停止",
  clientGone: "客户端已断开",
  answerTooLong: "回答超过长度上限，已截断",
  internal: "服务内部错误",
  promptFiltered: "提示内容被 Azure OpenAI 的内容过滤器拦截",
  answerFiltered: "回答被 Azure OpenAI 的内容过滤器截断",
  rejected: "Azure OpenAI 拒绝了这个请求",
  rateLimited: "Azure OpenAI 限流，请稍后重试",
  timeout: "Azure OpenAI 响应超时",
  credentials: "Azure OpenAI 不接受服务配置的凭据",
  deploymentNotFound: "Azure OpenAI 上没有找到配置的部署",
  unreachable: "无法连接 Azure OpenAI",
  brokenStream: "Azure OpenAI 的数据流中断或损坏",
  tooLarge: "请求太大",
} as const;

/** What a failure's reason can say in every language (ApiError's `reason`). */
export type ReasonKey = keyof typeof reasonsZh;

/** For an error without a reason of its own, by status. */
const byStatusZh: Record<number, string> = {
  400: "请求无效",
  413: "请求太大",
  429: "请求太频繁，请稍后重试",
  499: "已被客户端停止",
  500: "服务内部错误",
  502: "上游服务出错",
  503: "服务暂时不可用",
  504: "上游服务响应超时",
};

/** The reason of a failed chat (an ApiError: its message, status and reason key), for its step text in `lang`. */
export function reasonText(error: { message: string; status: number; reason?: ReasonKey }, lang: Lang): string {
  if (lang === "en") return error.message;
  return error.reason ? reasonsZh[error.reason] : (byStatusZh[error.status] ?? `错误 ${error.status}`);
}

export function textsFor(lang: Lang): Texts {
  return texts[lang];
}
