/**
 * Conversations kept by the service (`history: "server"`), as a ChatRoom runs them: a turn stores
 * the new messages before its run (images to R2), gives the run the stored conversation as the
 * model's input, and at its end stores the answer (with the tool calls and results the model saw,
 * the steps, usage and how it ended), the chat's list row and its entry in the user's ChatList.
 * Reading it back (the contract's view, or the AI SDK's UI messages), deleting it (rows, files, list
 * entry) and its expiry after `HISTORY_TTL_DAYS` untouched are here too. Nothing of a message's
 * content is logged.
 *
 * Rows written per turn: the new user message, the answer and the ChatList entry (3; the first
 * turn of a chat also creates the ChatList's table, 2 rows, and the room's, 2 rows, if its run did not).
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { CheckedChat } from "../chat/start-chat";
import type { RunResult } from "../chat/run-result";
import { readConfig, type Config } from "../config";
import { MAX_IMAGES } from "../schema/limits";
import { newId } from "../steps/recorder";
import { wireStep } from "../stream/wire";
import { listName, type ChatEntry } from "./chat-list";
import type { RoomTable } from "../resume/room-table";
import { ConversationStore, metaOf, type ConversationMeta, type RunStatus, type StoredMessage, type StoredPart } from "./conversation-store";
import { deleteFiles, imageDataUrl, storeImage } from "./files";
import { modelHistory, type HistoryWindow } from "./history";
import { toUiMessages, type UiMessage } from "./ui-messages";

export interface Turn {
  /** The stored conversation as the model's input, before the new messages. */
  history(): Promise<HistoryWindow>;
  /** Stores how the run ended (skipped once the chat was deleted meanwhile). */
  finish(result: RunResult): Promise<void>;
  deleted: boolean;
}

export interface ConversationView {
  chat_id: string;
  user_id: string;
  title: string;
  created_at: string;
  updated_at: string;
  messages: {
    id: string;
    role: StoredMessage["role"];
    content: unknown[];
    steps: NonNullable<StoredMessage["steps"]>;
    usage: StoredMessage["usage"] | null;
    status: RunStatus | null;
    created_at: string;
  }[];
}

export class Conversations {
  readonly #store: ConversationStore;

  constructor(
    table: RoomTable,
    private readonly env: Env,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {
    this.#store = new ConversationStore(table);
  }

  /**
   * Starts a turn: drops the stored messages from `replace_from` on, stores the new ones. A
   * `replace_from` that names no stored user message is refused (a string: the 400's message),
   * unless `lenient` (the AI SDK's regenerate, whose message may never have been stored).
   */
  begin(scope: string, chatId: string, chat: CheckedChat, requestId: string, lenient = false): Turn | string {
    const { request } = chat;
    let rows = this.#store.messages(scope);
    if (request.replace_from !== undefined) {
      const at = rows.find((row) => row.message.id === request.replace_from && row.message.role === "user");
      if (!at && !lenient) return `replace_from: this chat keeps no user message "${request.replace_from}"`;
      if (at) {
        this.#store.truncate(scope, at.n);
        rows = rows.filter((row) => row.n < at.n);
      }
    }
    const earlier = rows.map((row) => row.message);
    const uploads: Promise<unknown>[] = [];
    const now = Date.now();
    const bucket = this.env.CHAT_FILES;
    const added: StoredMessage[] = request.query.map((message, i) => ({
      id: chat.ids?.[i] ?? newId("msg_"),
      chat_id: chatId,
      user_id: request.user_id,
      role: message.role,
      created_at: now,
      content:
        typeof message.content === "string"
          ? [message.role === "assistant" ? { type: "output_text", text: message.content } : { type: "input_text", text: message.content }]
          : message.content.map((part): StoredPart =>
              part.type === "input_image" ? storeImage(bucket, scope, chatId, part.image_url, part.detail, uploads) : part,
            ),
    }));
    let last = this.#store.append(scope, rows.at(-1)?.n ?? 0, added);
    this.waitUntil(Promise.all(uploads).catch((err) => logFailure("storing an image failed", requestId, err)));
    const config = { maxChars: this.#config().history.maxChars, maxImages: Math.max(0, MAX_IMAGES - chat.imageCount) };
    const turn: Turn = {
      deleted: false,
      // Once the uploads are in: a stored image is read back as the bytes it was.
      history: async () => {
        await Promise.allSettled(uploads);
        return modelHistory(earlier, config, (fileId, mediaType) => imageDataUrl(bucket, scope, chatId, fileId, mediaType));
      },
      finish: async (result) => {
        if (turn.deleted) return;
        const answer = answerOf(result, requestId, chatId, request.user_id);
        last = this.#store.append(scope, last, [answer]);
        const meta = metaOf([...earlier, ...added, answer])!;
        const before = metaOf(earlier);
        if (before && before.user_id !== meta.user_id) await (await this.#list(scope, before.user_id)).remove(chatId);
        await (await this.#list(scope, meta.user_id)).upsert(entryOf(meta));
      },
    };
    return turn;
  }

  /** The contract's view of the conversation, or undefined when this key keeps none for the chat. */
  view(scope: string, chatId: string): ConversationView | undefined {
    const rows = this.#store.messages(scope);
    const meta = metaOf(rows.map((row) => row.message));
    if (!meta) return undefined;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      chat_id: chatId,
      user_id: meta.user_id,
      title: meta.title,
      created_at: iso(meta.created_at),
      updated_at: iso(meta.updated_at),
      messages: rows.map(({ message }) => ({
        id: message.id,
        role: message.role,
        content: message.content.map((part) =>
          part.type === "input_image" && "file_id" in part
            ? { type: "input_image", image_url: `/api/chat/${chatId}/files/${part.file_id}`, ...(part.detail ? { detail: part.detail } : {}) }
            : part,
        ),
        steps: message.steps ?? [],
        usage: message.usage ?? null,
        status: message.status ?? null,
        created_at: iso(message.created_at),
      })),
    };
  }

  /** The conversation as the AI SDK's UI messages (`useChat({ messages })`), or undefined. */
  uiMessages(scope: string, chatId: string): UiMessage[] | undefined {
    const rows = this.#store.messages(scope);
    if (!rows.length) return undefined;
    return toUiMessages(rows.map((row) => row.message), chatId);
  }

  /** Deletes the conversation, its files and its list entry; false when there was none. */
  async remove(scope: string, chatId: string): Promise<boolean> {
    const meta = metaOf(this.#store.messages(scope).map((row) => row.message));
    this.#store.delete(scope);
    await deleteFiles(this.env.CHAT_FILES, scope, chatId);
    if (meta) await (await this.#list(scope, meta.user_id)).remove(chatId);
    return meta !== undefined;
  }

  /** Deletes the conversations untouched for `HISTORY_TTL_DAYS`. */
  async expire(now: number): Promise<void> {
    const ttl = this.#config().history.ttlMs;
    for (const { scope, message } of this.#store.latest()) if (message.created_at + ttl <= now) await this.remove(scope, message.chat_id);
  }

  /** When the next conversation expires, if any is kept. */
  nextExpiry(): number | undefined {
    const ttl = this.#config().history.ttlMs;
    let next: number | undefined;
    for (const { message } of this.#store.latest()) next = Math.min(next ?? Infinity, message.created_at + ttl);
    return next;
  }

  #config(): Config {
    return readConfig(this.env);
  }

  async #list(scope: string, userId: string) {
    const lists = this.env.CHAT_LISTS;
    return lists.get(lists.idFromName(await listName(scope, userId)));
  }
}

/** The run's answer as stored: a stopped run keeps what was answered, a failed one nothing. */
function answerOf(result: RunResult, requestId: string, chatId: string, userId: string): StoredMessage {
  const status: RunStatus = result.ok ? "done" : result.outcome === "stopped" || result.outcome === "client_closed" ? "stopped" : "error";
  const { data } = result.envelope;
  const answer = status === "error" ? "" : (data.answer ?? "");
  return {
    id: requestId,
    chat_id: chatId,
    user_id: userId,
    role: "assistant",
    content: answer ? [{ type: "output_text", text: answer }] : [],
    ...(status !== "error" && result.transcript?.length ? { transcript: completeCalls(result.transcript) } : {}),
    steps: data.steps.map(wireStep),
    usage: data.usage ?? null,
    status,
    created_at: Date.now(),
  };
}

/** Drops a last round of tool calls that did not get its results (a run stopped during them): the model needs each call answered. */
function completeCalls(transcript: ChatCompletionMessageParam[]): ChatCompletionMessageParam[] {
  const last = transcript.at(-1);
  return last?.role === "assistant" && last.tool_calls?.length ? transcript.slice(0, -1) : transcript;
}

function entryOf(meta: ConversationMeta): ChatEntry {
  return { chat_id: meta.chat_id, title: meta.title, updated_at: meta.updated_at, messages: meta.messages };
}

function logFailure(msg: string, requestId: string, err: unknown): void {
  console.log(JSON.stringify({ level: "error", msg, requestId, error: err instanceof Error ? err.message.slice(0, 300) : String(err) }));
}
