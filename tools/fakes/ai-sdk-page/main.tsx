/**
 * A React page that chats with chatapi through the Vercel AI SDK's `useChat` (@ai-sdk/react) and
 * `DefaultChatTransport` (ai), as an app on another origin would: the answer's text, each chatapi
 * step (`data-step` parts: present_content and status, updated in place) and each MCP tool call
 * (dynamic tool parts) as they stream. Bundled for the browser by ./serve.ts (esbuild); driven by
 * test/node/ai-sdk-react.test.ts.
 *
 * A tool call that waits for approval shows Approve / Deny (with an optional reason): the AI SDK's
 * own approval flow, `addToolApprovalResponse` with `sendAutomaticallyWhen:
 * lastAssistantMessageIsCompleteWithApprovalResponses`.
 *
 * Query parameters: `api` (default: this origin's /api/ui/chat), `key` (sent as
 * `Authorization: Bearer`), `user` (the body's `user_id`), `chat` (the chat id, so a reload can
 * resume it), `resume` (present: `useChat({ resume: true })`), `persist` (present: the service
 * keeps the conversation, the AI SDK's message persistence pattern as docs/ai-sdk.md shows it: the
 * page starts from `GET …/{chat}/messages` and each request carries only the last message).
 */
import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport, lastAssistantMessageIsCompleteWithApprovalResponses, type UIMessage } from "ai";
import { useEffect, useState, type FormEvent } from "react";
import { createRoot } from "react-dom/client";
import type { Step, Usage } from "../../../client/src";

/** chatapi's `messageMetadata`: the run's request id, its usage at the end; `code` when it failed or was stopped. */
type Meta = { requestId: string; usage?: Usage; code?: number };
type ChatMessage = UIMessage<Meta, { step: Step }>;

const params = new URLSearchParams(location.search);
const api = params.get("api") ?? `${location.origin}/api/ui/chat`;
const key = params.get("key");

const headers = key ? { Authorization: `Bearer ${key}` } : undefined;
const userId = params.get("user") ?? "page_user";
const persist = params.has("persist");

const transport = new DefaultChatTransport<ChatMessage>({
  api,
  headers,
  body: { user_id: userId },
  // persist: only the new message; the service keeps the conversation.
  prepareSendMessagesRequest: persist
    ? ({ id, messages, trigger, messageId }) => ({ body: { id, message: messages.at(-1), trigger, messageId, user_id: userId } })
    : undefined,
});

/** persist: the conversation the service keeps for this chat id (none yet: a 404). */
async function storedMessages(chatId: string): Promise<ChatMessage[]> {
  const res = await fetch(`${api}/${encodeURIComponent(chatId)}/messages`, { headers });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`GET …/messages: ${res.status} ${await res.text()}`);
  return (await res.json()) as ChatMessage[];
}

function StepItem({ step }: { step: Step }) {
  return (
    <li className="step" data-id={step.message_id} data-tool={step.tool_type} data-status={step.tool_status}>
      <span className={`badge ${step.tool_status.toLowerCase()}`}>{step.tool_status}</span>
      <span className="tool-type">{step.tool_type}</span>
      <span className="present">{step.present_content}</span>
      {step.execution_duration !== undefined && <span className="duration">{step.execution_duration} ms</span>}
    </li>
  );
}

type Answer = (response: { id: string; approved: boolean; reason?: string }) => void;

function Approval({ id, answer }: { id: string; answer: Answer }) {
  const [reason, setReason] = useState("");
  return (
    <div className="approval" data-approval-id={id}>
      <input className="approval-reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="理由（可选） / reason (optional)" aria-label="reason" />
      <button type="button" className="approve" onClick={() => answer({ id, approved: true })}>Approve</button>
      <button type="button" className="deny" onClick={() => answer({ id, approved: false, ...(reason.trim() ? { reason: reason.trim() } : {}) })}>Deny</button>
    </div>
  );
}

function Message({ message, answer }: { message: ChatMessage; answer: Answer }) {
  return (
    <article className={`message ${message.role}`} data-role={message.role} data-id={message.id}>
      {message.parts.map((part, i) => {
        switch (part.type) {
          case "text":
            return <p key={i} className="text">{part.text}</p>;
          case "data-step":
            return <ul key={part.id ?? i} className="steps"><StepItem step={part.data} /></ul>;
          case "dynamic-tool":
            return (
              <div key={part.toolCallId} className="tool" data-tool-name={part.toolName} data-state={part.state}>
                <div className="tool-head">tool {part.toolName} <span className="tool-state">{part.state}</span></div>
                <pre className="tool-input">{JSON.stringify(part.input)}</pre>
                {part.state === "output-available" && <pre className="tool-output">{String(part.output)}</pre>}
                {part.state === "output-error" && <pre className="tool-error">{part.errorText}</pre>}
                {part.state === "approval-requested" && <Approval id={part.approval.id} answer={answer} />}
              </div>
            );
          case "step-start":
            return <hr key={i} className="round" />;
          default:
            return null;
        }
      })}
      {message.metadata?.usage && <footer className="meta">{message.metadata.requestId} · {message.metadata.usage.total_tokens} tokens</footer>}
    </article>
  );
}

/**
 * useChat's `stop()` only stops reading (the run goes on, resumable); POST …/stop stops the run
 * itself: its Azure request and tool calls are cancelled, and the stream ends with `abort`.
 */
async function stopRun(chatId: string, stopReading: () => Promise<void>) {
  await fetch(`${api}/${encodeURIComponent(chatId)}/stop`, { method: "POST", headers: key ? { Authorization: `Bearer ${key}` } : undefined });
  await stopReading();
}

function App({ initial }: { initial?: ChatMessage[] }) {
  const { id, messages, sendMessage, status, error, stop, addToolApprovalResponse } = useChat<ChatMessage>({
    id: params.get("chat") ?? undefined,
    messages: initial,
    transport,
    resume: params.has("resume"),
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
  });
  const [input, setInput] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!input.trim()) return;
    void sendMessage({ text: input });
    setInput("");
  };
  document.body.dataset.status = status;
  return (
    <main>
      <h1>chatapi × useChat</h1>
      <div id="messages">
        {messages.map((m) => <Message key={m.id} message={m} answer={(response) => void addToolApprovalResponse(response)} />)}
      </div>
      {error && <div id="error" role="alert">{error.message}</div>}
      <form onSubmit={submit}>
        <input id="prompt" value={input} onChange={(e) => setInput(e.target.value)} placeholder="帮我找一个 qwen 模型" />
        <button id="send" type="submit" disabled={status !== "ready" && status !== "error"}>Send</button>
        <button id="stop" type="button" onClick={() => void stopRun(id, stop)} disabled={status !== "streaming" && status !== "submitted"}>Stop</button>
        <span id="status">{status}</span>
      </form>
    </main>
  );
}

/** persist: the stored messages first (useChat takes its first messages once), then the chat. */
function Persisted() {
  const chatId = params.get("chat");
  const [initial, setInitial] = useState<ChatMessage[]>();
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    if (!chatId) return setFailed("persist needs a chat id (?chat=…)");
    storedMessages(chatId).then(setInitial, (e: Error) => setFailed(e.message));
  }, [chatId]);
  if (failed) return <div id="error" role="alert">{failed}</div>;
  return initial ? <App initial={initial} /> : <p id="loading">Loading…</p>;
}

createRoot(document.getElementById("root")!).render(persist ? <Persisted /> : <App />);
document.body.dataset.ready = "true";
