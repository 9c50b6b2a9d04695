/**
 * `npm run chat`: a terminal client of chatapi, built on the typed client (client/src); its printing and self-test
 * are in tools/cli/chat-print.ts and tools/cli/chat-selftest.ts.
 *
 *   npm run chat -- "你好" [--image cat.jpg]… [--url http://127.0.0.1:8000] [--key KEY]
 *                  [--format ndjson|sse|json] [--lang zh|en] [--user ID] [--system TEXT] [--verbose]
 *                  [--temperature T] [--max-tokens N] [--chat ID [--approve all|none]]
 *   npm run chat -- --chat ID --resume [--after N]      follow that chat's latest run
 *   npm run chat -- --chat ID --stop                    stop it
 *   npm run chat -- MESSAGE --history server [--chat ID] [--replace-from MSG_ID]   the service keeps the conversation
 *   npm run chat -- --chats [--user ID] [--limit N] [--cursor C]                    that user's chats kept by the service
 *   npm run chat -- --chat ID --messages                one chat's stored messages
 *   npm run chat -- --chat ID --delete                  delete it (its messages, events and images)
 *   npm run chat -- --selftest [URL]
 *
 * Prints each step when it starts and ends (status, tool type, duration), the answer as it
 * streams, and the usage at the end. With --chat the chat is resumable: a dropped connection is
 * picked up again by itself (a note on stderr says so), and --resume reads it again, from the
 * start or after event N. A tool call that waits for approval (an `approval_request`) is asked
 * about on a terminal (`Approve server/tool {args}? [y/N/reason]`); when stdin is not a terminal,
 * `--approve all|none` answers every one, and without it the call is left waiting and the curl
 * that answers it is printed (tools/cli/chat-approve.ts). Exit code: 0 done (or stopped with --stop; listed, shown or deleted), 1 an error from the server
 * (or a failed selftest), 2 a usage error, 130 interrupted. CHATAPI_URL and CHATAPI_KEY are the
 * defaults of --url and --key. --temperature and --max-tokens are the request's `options`: the
 * service takes them when its CLIENT_OPTIONS allows (by default it does), and never a max_tokens
 * above its own. With --history server the service keeps the conversation (`history: "server"`):
 * each run sends only its new message, under --chat ID (one is made up, and said on stderr, when
 * there is none); --replace-from MSG_ID (an id --messages shows) edits that message and regenerates.
 * The conversation helpers' printing is in tools/cli/chat-history.ts.
 */
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import {
  CHAT_ID_MAX, CHAT_ID_PATTERN, ChatApiError, MAX_IMAGE_BYTES, chat, deleteChat, getMessages, listChats, resumeChat, sniffImageType, stopChat, streamChat, toDataUrl,
  type ChatEvent, type ChatRequest, type ReconnectInfo,
} from "../client/src";
import { Approver, type ApproveMode } from "../tools/cli/chat-approve";
import { printChats, printConversation } from "../tools/cli/chat-history";
import { ChatPrinter } from "../tools/cli/chat-print";
import { selftest } from "../tools/cli/chat-selftest";

const USAGE = `usage: npm run chat -- MESSAGE [--image FILE]… [--url URL] [--key KEY] [--format ndjson|sse|json] [--lang zh|en] [--user ID] [--system TEXT] [--verbose] [--temperature T] [--max-tokens N] [--chat ID [--approve all|none]] [--history server [--replace-from MSG_ID]]
       npm run chat -- --chat ID --resume [--after N] [--approve all|none] [--url URL] [--key KEY] [--format ndjson|sse] [--verbose]
       npm run chat -- --chat ID --stop [--url URL] [--key KEY]
       npm run chat -- --chats [--user ID] [--limit N] [--cursor C] [--url URL] [--key KEY]
       npm run chat -- --chat ID --messages [--verbose] [--url URL] [--key KEY]
       npm run chat -- --chat ID --delete [--url URL] [--key KEY]
       npm run chat -- --selftest [URL] [--key KEY]`;

/** What a run does instead of sending a message; at most one. */
const ACTIONS = ["resume", "stop", "messages", "delete", "chats"] as const;

class UsageError extends Error {}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      image: { type: "string", multiple: true, short: "i" },
      url: { type: "string", short: "u" },
      key: { type: "string", short: "k" },
      format: { type: "string", short: "f", default: "ndjson" },
      lang: { type: "string", short: "l", default: "zh" },
      user: { type: "string", default: "cli_user" },
      system: { type: "string" },
      temperature: { type: "string" },
      "max-tokens": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      chat: { type: "string", short: "c" },
      resume: { type: "boolean" },
      after: { type: "string" },
      stop: { type: "boolean" },
      history: { type: "string" },
      "replace-from": { type: "string" },
      chats: { type: "boolean" },
      limit: { type: "string" },
      cursor: { type: "string" },
      messages: { type: "boolean" },
      delete: { type: "boolean" },
      approve: { type: "string" },
      selftest: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (!["ndjson", "sse", "json"].includes(values.format!)) throw new UsageError(`--format must be ndjson, sse or json, not ${values.format}`);
  if (!["zh", "en"].includes(values.lang!)) throw new UsageError(`--lang must be zh or en, not ${values.lang}`);
  const url = (values.selftest && positionals[0]) || values.url || process.env.CHATAPI_URL || "http://127.0.0.1:8000";
  if (!/^https?:\/\//.test(url)) throw new UsageError(`not an http(s) URL: ${url}`);
  if (values.chat !== undefined && (values.chat.length > CHAT_ID_MAX || !CHAT_ID_PATTERN.test(values.chat))) {
    throw new UsageError(`--chat must be 1 to ${CHAT_ID_MAX} characters of A-Z a-z 0-9 _ -, not ${JSON.stringify(values.chat)}`);
  }
  const actions = ACTIONS.filter((a) => values[a]);
  const action = actions[0];
  if (actions.length > 1) throw new UsageError(`--${actions[0]} and --${actions[1]} don't go together`);
  if (action === "chats" && values.chat !== undefined) throw new UsageError("--chats lists the chats of --user: leave out --chat (--chat ID --messages shows one)");
  if (action && action !== "chats" && values.chat === undefined) throw new UsageError(`--${action} needs --chat ID`);
  if (action && positionals.length) throw new UsageError(`--${action} sends no message: leave out ${JSON.stringify(positionals.join(" "))}`);
  if (values.resume && values.format === "json") throw new UsageError("--resume streams: --format ndjson or sse");
  if (values.after !== undefined && !values.resume) throw new UsageError("--after goes with --resume");
  if (values.approve !== undefined && !["all", "none"].includes(values.approve)) throw new UsageError(`--approve must be all or none, not ${values.approve}`);
  if (values.approve !== undefined && ((values.chat === undefined && values.history === undefined) || (action && action !== "resume") || values.format === "json")) {
    throw new UsageError("--approve answers tool calls that wait for approval, which only a streamed chat with --chat ID has");
  }
  if (values.history !== undefined && values.history !== "server") throw new UsageError(`--history must be server (the service keeps the conversation), not ${values.history}`);
  if (values.history !== undefined && action) throw new UsageError(`--history server goes with a message, not --${action}`);
  if (values["replace-from"] !== undefined && values.history === undefined) throw new UsageError("--replace-from goes with --history server");
  if ((values.limit !== undefined || values.cursor !== undefined) && action !== "chats") throw new UsageError(`--${values.limit !== undefined ? "limit" : "cursor"} goes with --chats`);
  if (values.limit !== undefined && !(/^\d{1,3}$/.test(values.limit) && Number(values.limit) >= 1 && Number(values.limit) <= 100)) {
    throw new UsageError(`--limit must be a whole number from 1 to 100, not ${values.limit}`);
  }
  if (values.temperature !== undefined && !/^\d+(?:\.\d+)?$/.test(values.temperature)) throw new UsageError(`--temperature must be a number such as 0.2, not ${values.temperature}`);
  if (values["max-tokens"] !== undefined && !/^[1-9]\d{0,8}$/.test(values["max-tokens"])) throw new UsageError(`--max-tokens must be a whole number above 0, not ${values["max-tokens"]}`);
  if ((values.temperature !== undefined || values["max-tokens"] !== undefined) && action) {
    throw new UsageError(`--temperature and --max-tokens go with a message, not --${action}`);
  }
  if (values.after !== undefined && !/^\d{1,15}$/.test(values.after)) throw new UsageError(`--after must be a whole number (the last event's seq you have), not ${values.after}`);
  return {
    ...values,
    /** --history server without --chat: a chat id of its own, said on stderr so the next turn can use it. */
    chat: values.chat ?? (values.history !== undefined ? `cli_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}` : undefined),
    madeUpChat: values.chat === undefined && values.history !== undefined,
    after: values.after === undefined ? undefined : Number(values.after),
    limit: values.limit === undefined ? undefined : Number(values.limit),
    /** --approve, else ask on a terminal, else print how to answer. */
    approve: (values.approve ?? (process.stdin.isTTY ? "ask" : "print")) as ApproveMode,
    format: values.format as "ndjson" | "sse" | "json",
    lang: values.lang as "zh" | "en",
    url,
    key: values.key ?? (process.env.CHATAPI_KEY || undefined),
    text: values.selftest ? "" : positionals.join(" "),
  };
}

/** A file as a data URL, refused unless it is a png/jpeg/webp/gif of at most 20 MiB. */
function imageUrl(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
  if (size > MAX_IMAGE_BYTES) throw new UsageError(`${basename(path)} is ${(size / 2 ** 20).toFixed(1)} MiB, over the 20 MiB limit`);
  const bytes = new Uint8Array(readFileSync(path));
  const type = sniffImageType(bytes);
  if (!type) throw new UsageError(`${basename(path)} is not a PNG, JPEG, WebP or GIF image`);
  return toDataUrl(bytes, type);
}

function buildRequest(args: ReturnType<typeof parse>): ChatRequest {
  const images = (args.image ?? []).map(imageUrl);
  if (!args.text && images.length === 0) throw new UsageError("nothing to send: give a message (or --image)");
  const content = images.length
    ? [...(args.text ? [{ type: "input_text" as const, text: args.text }] : []), ...images.map((url) => ({ type: "input_image" as const, image_url: url }))]
    : args.text;
  const query: ChatRequest["query"] = [{ role: "user", content }];
  if (args.system) query.unshift({ role: "system", content: args.system });
  const options: NonNullable<ChatRequest["options"]> = {
    ...(args.temperature !== undefined ? { temperature: Number(args.temperature) } : {}),
    ...(args["max-tokens"] !== undefined ? { max_tokens: Number(args["max-tokens"]) } : {}),
  };
  return {
    user_id: args.user!,
    query,
    ...(args.chat !== undefined ? { chat_id: args.chat } : {}),
    ...(args.history === "server" ? { history: "server" as const } : {}),
    ...(args["replace-from"] !== undefined ? { replace_from: args["replace-from"] } : {}),
    ...(Object.keys(options).length ? { options } : {}),
  };
}

/** On stderr, so stdout stays the chat: a cut connection, and the attempt to pick it up again. */
function reconnecting(info: ReconnectInfo): void {
  const why = info.error instanceof Error ? info.error.message : String(info.error);
  console.error(`connection lost after event ${info.after} (${why}); reconnecting in ${info.delayMs} ms (attempt ${info.attempt})…`);
}

async function run(args: ReturnType<typeof parse>, signal: AbortSignal, interrupt: () => void): Promise<number> {
  if (args.selftest) return (await selftest({ baseUrl: args.url, apiKey: args.key, lang: args.lang })) ? 0 : 1;
  const printer = new ChatPrinter({ verbose: args.verbose });
  const options = { baseUrl: args.url, apiKey: args.key, lang: args.lang, signal };
  const t0 = performance.now();
  if (args.stop) {
    const envelope = await stopChat(args.chat!, options);
    for (const step of envelope.data.steps) printer.step(step);
    printer.end(envelope, (performance.now() - t0) / 1000);
    console.log(`stopped chat ${args.chat}: its readers' streams end with error 499`);
    return 0;
  }
  if (args.chats) {
    const query = { userId: args.user!, limit: args.limit, cursor: args.cursor };
    printChats(await listChats(query, options), query);
    return 0;
  }
  if (args.messages) {
    printConversation(await getMessages(args.chat!, options), { verbose: args.verbose });
    return 0;
  }
  if (args.delete) {
    await deleteChat(args.chat!, options);
    console.log(`deleted chat ${args.chat}: its messages, events and images are gone`);
    return 0;
  }
  let events: AsyncIterable<ChatEvent>;
  if (args.resume) {
    events = resumeChat(args.chat!, { ...options, format: args.format as "ndjson" | "sse", after: args.after, reconnect: { onReconnect: reconnecting } });
  } else {
    const request = buildRequest(args);
    if (args.madeUpChat) console.error(`chat ${args.chat}: the service keeps this conversation; go on with --chat ${args.chat} --history server`);
    if (args.format === "json") {
      const envelope = await chat(request, options);
      for (const step of envelope.data.steps) printer.step(step);
      printer.end(envelope, (performance.now() - t0) / 1000);
      return 0;
    }
    events = streamChat(request, { ...options, format: args.format, reconnect: { onReconnect: reconnecting } });
  }
  const approver = args.chat === undefined ? undefined : new Approver({ mode: args.approve, chatId: args.chat, client: options, say: (line) => printer.note(line), onInterrupt: interrupt });
  let code = 1;
  try {
    for await (const event of events) {
      if (event.type === "done" || event.type === "error") {
        printer.end(event, (performance.now() - t0) / 1000);
        code = event.type === "done" ? 0 : 1;
      } else printer.event(event);
      approver?.see(event);
    }
  } finally {
    await approver?.settled();
  }
  return code;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  try {
    return await run(args, abort.signal, () => abort.abort());
  } catch (error) {
    if (abort.signal.aborted) {
      console.error("\ninterrupted");
      return 130;
    }
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof ChatApiError) {
      console.error(`error ${error.code}: ${error.message}${error.requestId ? ` (request ${error.requestId})` : ""}`);
      return 1;
    }
    const { cause } = error as { cause?: { code?: string; message?: string } };
    const why = cause?.code ?? cause?.message;
    console.error(`cannot reach ${args.url}: ${(error as Error).message}${why ? ` (${why})` : ""}`);
    return 1;
  }
}

process.exitCode = await main();
