/**
 * The Vercel AI SDK's chat request (its schema: src/schema/ui-request.ts) as a chatapi chat: `text`
 * parts become text, `file` parts with an image media type become images (byte for byte), an
 * assistant message's text becomes an assistant turn, and its earlier tool parts the tool calls
 * and results they were. Parts the model never saw (`step-start`, `data-step`, reasoning,
 * sources) are left out. Errors name the UI field (`messages[1].parts[0]`).
 *
 * A request whose last message is the assistant's, holding tool parts in the state
 * `approval-responded` (the AI SDK's approval flow: `addToolApprovalResponse`, then
 * `sendAutomaticallyWhen`), is no new chat but the answers to the approvals of the running one
 * (`approvalAnswers`).
 */
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall } from "openai/resources/chat/completions";
import { toAzureMessages } from "../chat/messages";
import { ApiError, fieldName, type FieldPath } from "../errors";
import { USER_ID_MAX } from "../schema/limits";
import type { ChatRequest, QueryMessage } from "../schema/request";
import type { UiChatRequest } from "../schema/ui-request";

export interface UiChat {
  request: ChatRequest;
  /** What the model is sent: the query's messages with the earlier tool calls and results in place. */
  messages: ChatCompletionMessageParam[];
  /** The UI field each of `messages` came from (`messages[i]`, or the tool part `messages[i].parts[j]`). */
  origins: FieldPath[];
  /** The UI message id of each query message. */
  ids: (string | undefined)[];
  /** The UI field a field of the chat's query came from (`query[i].content[j]` → `messages[k].parts[m]`). */
  fieldOf(queryField: FieldPath): FieldPath;
}

/** A UI message part: its `type`, and whatever else its kind holds. */
type Part = NonNullable<UiChatRequest["messages"]>[number]["parts"][number] & Record<string, unknown>;

export function fromUiRequest(body: UiChatRequest): UiChat {
  if (!body.messages && !body.message) throw new ApiError(400, "messages: required (or message: the one new message of a conversation the service keeps)");
  let uiMessages = body.messages ?? [body.message!];
  if (body.trigger === "regenerate-message") {
    let end = uiMessages.length;
    while (end > 0 && uiMessages[end - 1].role === "assistant") end--;
    uiMessages = uiMessages.slice(0, end);
  }
  const query: QueryMessage[] = [];
  const messages: ChatCompletionMessageParam[] = [];
  const origins: FieldPath[] = [];
  const ids: (string | undefined)[] = [];
  /** `i` (query[i]) and `i.j` (query[i].content[j]) → the UI field. */
  const fields = new Map<string, FieldPath>();

  uiMessages.forEach((message, i) => {
    const parts = message.parts as Part[];
    if (message.role === "assistant") {
      let text = "";
      let calls: ChatCompletionMessageToolCall[] = [];
      let results: ChatCompletionMessageParam[] = [];
      let resultOrigins: FieldPath[] = [];
      const flushTools = () => {
        if (!calls.length) return;
        messages.push({ role: "assistant", content: text || null, tool_calls: calls }, ...results);
        origins.push(["messages", i], ...resultOrigins);
        text = "";
        calls = [];
        results = [];
        resultOrigins = [];
      };
      parts.forEach((part, j) => {
        if (part.type === "text" && typeof part.text === "string") {
          flushTools();
          text += part.text;
        } else if (isToolPart(part) && (part.state === "output-available" || part.state === "output-error" || part.state === "output-denied")) {
          const id = String(part.toolCallId ?? `call_${i}_${j}`);
          const name = String(part.toolName ?? part.type.slice("tool-".length));
          calls.push({ id, type: "function", function: { name, arguments: JSON.stringify(part.input ?? {}) } });
          const output =
            part.state === "output-available" ? part.output
            : part.state === "output-denied" ? "Error: The user declined this tool call."
            : `Error: ${String(part.errorText ?? "failed")}`;
          results.push({ role: "tool", tool_call_id: id, content: typeof output === "string" ? output : JSON.stringify(output ?? null) });
          resultOrigins.push(["messages", i, "parts", j]);
        }
      });
      flushTools();
      if (text) {
        fields.set(`${query.length}`, ["messages", i]);
        query.push({ role: "assistant", content: text });
        ids.push(message.id);
        messages.push({ role: "assistant", content: text });
        origins.push(["messages", i]);
      }
      return;
    }
    const content: Extract<QueryMessage, { role: "user" }>["content"] = [];
    parts.forEach((part, j) => {
      const partPath: FieldPath = ["messages", i, "parts", j];
      const at = fieldName(partPath);
      if (part.type === "text") {
        if (typeof part.text !== "string") throw new ApiError(400, `${at}.text: must be a string`);
        fields.set(`${query.length}.${content.length}`, partPath);
        content.push({ type: "input_text", text: part.text });
      } else if (part.type === "file") {
        const { mediaType, url } = part;
        if (typeof mediaType !== "string" || !mediaType.startsWith("image/") || typeof url !== "string") {
          throw new ApiError(400, `${at}: only image files (an image/* mediaType with a data: or https: url) are supported`);
        }
        if (message.role === "system") throw new ApiError(400, `${at}: a system message cannot hold an image`);
        fields.set(`${query.length}.${content.length}`, partPath);
        content.push({ type: "input_image", image_url: url });
      }
    });
    if (!content.length) return;
    fields.set(`${query.length}`, ["messages", i]);
    const entry: QueryMessage =
      message.role === "system"
        ? { role: "system", content: content.map((p) => ({ type: "input_text" as const, text: (p as { text: string }).text })) }
        : { role: "user", content };
    query.push(entry);
    ids.push(message.id);
    messages.push(...toAzureMessages([entry]));
    origins.push(["messages", i]);
  });

  if (!query.some((m) => m.role === "user")) throw new ApiError(400, "messages: no user message with text or an image");
  return {
    request: { user_id: body.user_id ?? `ui_${body.id}`.slice(0, USER_ID_MAX), chat_id: body.id, query, stream: true, ...(body.options ? { options: body.options } : {}) },
    messages,
    origins,
    ids,
    fieldOf: (field) => {
      const [, i, key, j] = field;
      // The query's message (`query[i]`) or its part (`query[i].content[j]`), as the UI field it came from.
      const known = key === "content" && typeof j === "number" ? 4 : typeof i === "number" ? 2 : 0;
      const ui = known === 4 ? fields.get(`${String(i)}.${String(j)}`) : known === 2 ? fields.get(`${String(i)}`) : undefined;
      if (!ui) return ["messages", ...field.slice(1)];
      const rest = field.slice(known);
      return [...ui, ...(rest[0] === "image_url" ? ["url", ...rest.slice(1)] : rest)];
    },
  };
}

export interface ApprovalAnswer {
  approval_id: string;
  approve: boolean;
  reason?: string;
}

/** The approval answers of an AI SDK request (see above); empty when it is a new chat request. */
export function approvalAnswers(body: UiChatRequest): ApprovalAnswer[] {
  const last = body.message ?? body.messages?.at(-1);
  const field = body.message ? "message" : `messages[${(body.messages?.length ?? 1) - 1}]`;
  if (last?.role !== "assistant") return [];
  const answers: ApprovalAnswer[] = [];
  (last.parts as Part[]).forEach((part, j) => {
    if (!isToolPart(part) || part.state !== "approval-responded") return;
    const approval = part.approval as { id?: unknown; approved?: unknown; reason?: unknown } | undefined;
    const at = `${field}.parts[${j}].approval`;
    if (typeof approval?.id !== "string" || typeof approval.approved !== "boolean") throw new ApiError(400, `${at}: must hold the approval's id and approved (true or false)`);
    if (approval.reason !== undefined && typeof approval.reason !== "string") throw new ApiError(400, `${at}.reason: must be a string`);
    const reason = typeof approval.reason === "string" ? approval.reason.slice(0, 1000) : undefined;
    answers.push({ approval_id: approval.id, approve: approval.approved, ...(reason ? { reason } : {}) });
  });
  return answers;
}

function isToolPart(part: Part): boolean {
  return part.type === "dynamic-tool" || part.type.startsWith("tool-");
}
