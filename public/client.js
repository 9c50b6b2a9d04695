// Generated from client/src by `npm run build:client`; do not edit.

// src/stream/media-types.ts
var MEDIA_TYPES = {
  ndjson: "application/x-ndjson",
  sse: "text/event-stream",
  json: "application/json"
};

// client/src/errors.ts
var ChatApiError = class extends Error {
  constructor(status, code, message, requestId, data = { steps: [] }, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.data = data;
    this.retryAfter = retryAfter;
  }
  name = "ChatApiError";
};
async function errorFromResponse(res) {
  const text = await res.text().catch(() => "");
  const headerId = res.headers.get("x-request-id") ?? void 0;
  const retry = Number(res.headers.get("retry-after") ?? NaN);
  const retryAfter = Number.isFinite(retry) ? retry : void 0;
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = void 0;
  }
  if (isEnvelope(body)) {
    return new ChatApiError(res.status, body.code, body.message, body.requestId ?? headerId, body.data ?? { steps: [] }, retryAfter);
  }
  const detail = text.trim().slice(0, 200) || res.statusText || "no body";
  return new ChatApiError(res.status, res.status, `HTTP ${res.status}: ${detail}`, headerId, { steps: [] }, retryAfter);
}
function isEnvelope(v) {
  if (typeof v !== "object" || v === null) return false;
  const o = v;
  return typeof o.code === "number" && typeof o.message === "string";
}

// client/src/read.ts
var KNOWN = /* @__PURE__ */ new Set(["step", "delta", "approval_request", "done", "error"]);
async function* readLines(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let finished = false;
  try {
    for (; ; ) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      let nl;
      while ((nl = buffer.indexOf("\n", start)) >= 0) {
        const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield buffer.slice(start, end);
        start = nl + 1;
      }
      buffer = buffer.slice(start);
    }
    buffer += decoder.decode();
    finished = true;
    if (buffer) yield buffer;
  } finally {
    if (!finished) await reader.cancel().catch(() => {
    });
    reader.releaseLock();
  }
}
function known(value) {
  if (typeof value !== "object" || value === null) return void 0;
  return KNOWN.has(value.type) ? value : void 0;
}
async function* readNdjson(body) {
  for await (const line of readLines(body)) {
    if (!line.trim()) continue;
    const event = known(JSON.parse(line));
    if (event) yield event;
  }
}
async function* readSse(body) {
  let data = [];
  const dispatch = () => {
    const text = data.join("\n");
    data = [];
    if (!text) return void 0;
    try {
      return known(JSON.parse(text));
    } catch {
      return void 0;
    }
  };
  for await (const line of readLines(body)) {
    if (line === "") {
      const event2 = dispatch();
      if (event2) yield event2;
    } else if (line.startsWith("data:")) {
      data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    }
  }
  const event = dispatch();
  if (event) yield event;
}

// client/src/follow.ts
var TRANSIENT = /* @__PURE__ */ new Set([429, 500, 502, 503, 504]);
var isTerminal = (event) => event.type === "done" || event.type === "error";
async function* follow(first, again, options) {
  const policy = options.reconnect && { retries: options.reconnect.retries ?? 5, delayMs: options.reconnect.delayMs ?? 250, onReconnect: options.reconnect.onReconnect };
  let after = options.after;
  let runId;
  let failures = 0;
  let reconnected = false;
  let res = await first();
  for (; ; ) {
    const headerId = res.headers.get("x-request-id") ?? void 0;
    if (reconnected && runId && headerId && headerId !== runId) {
      await res.body?.cancel().catch(() => {
      });
      throw movedOn(runId, headerId, after);
    }
    runId ??= headerId;
    if (!res.body) throw new ChatApiError(res.status, 502, "The response has no body", headerId);
    let cut;
    let ended = false;
    const events = options.format === "sse" ? readSse(res.body) : readNdjson(res.body);
    let open = true;
    try {
      for (; ; ) {
        let next;
        try {
          next = await events.next();
        } catch (error) {
          open = false;
          if (ended) return;
          cut = error;
          break;
        }
        if (next.done) {
          open = false;
          if (ended) return;
          cut = new ChatApiError(res.status, 502, "The stream ended without a done or error event", runId ?? headerId);
          break;
        }
        if (ended) continue;
        const event = next.value;
        if (typeof event.seq === "number") {
          if (event.seq <= after) continue;
          after = event.seq;
        }
        if (reconnected && runId && event.requestId !== runId) throw movedOn(runId, event.requestId, after);
        runId ??= event.requestId;
        failures = 0;
        yield event;
        if (isTerminal(event)) ended = true;
      }
    } finally {
      if (open) await events.return(void 0).catch(() => {
      });
    }
    if (options.signal?.aborted || !policy) throw cut;
    for (; ; ) {
      if (failures >= policy.retries) throw cut;
      failures++;
      const delayMs = policy.delayMs * 2 ** Math.min(failures - 1, 3);
      policy.onReconnect?.({ attempt: failures, after, delayMs, error: cut });
      await sleep(delayMs, options.signal);
      try {
        res = await again(after);
        reconnected = true;
        break;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (error instanceof ChatApiError && !TRANSIENT.has(error.status)) throw error;
        cut = error;
      }
    }
  }
}
function movedOn(runId, other, after) {
  return new ChatApiError(409, 409, `The chat has started another run (${other}) since this one (${runId}); this run's events after seq ${after} can no longer be read`, runId);
}
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// src/schema/limits.ts
var MAX_IMAGE_BYTES = 20 * 1024 * 1024;
var MAX_IMAGES = 10;
var IMAGE_TYPES = ["png", "jpeg", "webp", "gif"];
var CHAT_ID_MAX = 128;
var CHAT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
var DEFAULT_LIMITS = {
  /** One image at 20 MiB is about 27 MiB of base64. */
  maxBodyBytes: 32 * 1024 * 1024,
  maxTextChars: 2e5,
  maxQueryItems: 100
};
function sniffImageType(b) {
  if (b[0] === 137 && b[1] === 80 && b[2] === 78 && b[3] === 71 && b[4] === 13 && b[5] === 10 && b[6] === 26 && b[7] === 10) return "png";
  if (b[0] === 255 && b[1] === 216 && b[2] === 255) return "jpeg";
  if (b[0] === 71 && b[1] === 73 && b[2] === 70 && b[3] === 56 && (b[4] === 55 || b[4] === 57) && b[5] === 97) return "gif";
  if (b[0] === 82 && b[1] === 73 && b[2] === 70 && b[3] === 70 && b[8] === 87 && b[9] === 69 && b[10] === 66 && b[11] === 80) return "webp";
  return void 0;
}

// client/src/images.ts
var IMAGE_TYPES2 = IMAGE_TYPES.map((t) => `image/${t}`);
function imageProblem(file) {
  if (!IMAGE_TYPES2.includes(file.type)) return "type";
  if (file.size > MAX_IMAGE_BYTES) return "size";
  return void 0;
}
function sniffImageType2(bytes) {
  const type = sniffImageType(bytes);
  return type && `image/${type}`;
}
function toDataUrl(bytes, type) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 32768) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 32768));
  }
  return `data:${type};base64,${btoa(binary)}`;
}

// client/src/index.ts
var ACCEPT = MEDIA_TYPES;
function endpoint(baseUrl, path) {
  return baseUrl.replace(/\/+$/, "") + path;
}
function headers(options, accept) {
  const h = { "Content-Type": "application/json", Accept: accept };
  if (options.apiKey) h.Authorization = `Bearer ${options.apiKey}`;
  if (options.lang) h["Accept-Language"] = options.lang;
  return h;
}
async function post(request, options, accept) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const res = await doFetch(endpoint(options.baseUrl, "/api/chat"), {
    method: "POST",
    headers: headers(options, accept),
    body: JSON.stringify(request),
    signal: options.signal
  });
  if (!res.ok) throw await errorFromResponse(res);
  return res;
}
function streamChat(request, options) {
  const format = options.format ?? "ndjson";
  const chatId = request.chat_id;
  return follow(
    () => post({ ...request, stream: true }, options, ACCEPT[format]),
    (after) => openStream(chatId, after, options, format),
    { format, signal: options.signal, after: 0, reconnect: chatId === void 0 ? void 0 : reconnectPolicy(options) }
  );
}
function resumeChat(chatId, options) {
  const format = options.format ?? "ndjson";
  const after = options.after ?? 0;
  return follow(
    () => openStream(chatId, after, options, format),
    (since) => openStream(chatId, since, options, format),
    { format, signal: options.signal, after, reconnect: reconnectPolicy(options) }
  );
}
async function stopChat(chatId, options) {
  const res = await send(options, "POST", `/api/chat/${encodeURIComponent(chatId)}/stop`, ACCEPT.json);
  return await res.json();
}
async function answerApproval(chatId, approvalId, decision, options) {
  const path = `/api/chat/${encodeURIComponent(chatId)}/approvals/${encodeURIComponent(approvalId)}`;
  const res = await send(options, "POST", path, ACCEPT.json, JSON.stringify(decision));
  return await res.json();
}
function reconnectPolicy(options) {
  return options.reconnect === false ? void 0 : options.reconnect ?? {};
}
async function openStream(chatId, after, options, format) {
  const res = await send(options, "GET", `/api/chat/${encodeURIComponent(chatId)}/stream?after=${after}`, ACCEPT[format]);
  if (res.status === 204) {
    throw new ChatApiError(204, 204, `Nothing to resume: no chat "${chatId}" was started with this key, or its events expired`, res.headers.get("x-request-id") ?? void 0);
  }
  return res;
}
async function send(options, method, path, accept, body) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const h = headers(options, accept);
  if (body === void 0) delete h["Content-Type"];
  const res = await doFetch(endpoint(options.baseUrl, path), { method, headers: h, body, signal: options.signal });
  if (!res.ok) throw await errorFromResponse(res);
  return res;
}
var chatPath = (chatId) => `/api/chat/${encodeURIComponent(chatId)}`;
async function listChats(query, options) {
  const params = new URLSearchParams({ user_id: query.userId });
  if (query.limit !== void 0) params.set("limit", String(query.limit));
  if (query.cursor) params.set("cursor", query.cursor);
  const res = await send(options, "GET", `/api/chats?${params}`, ACCEPT.json);
  return await res.json();
}
async function getMessages(chatId, options) {
  const res = await send(options, "GET", `${chatPath(chatId)}/messages`, ACCEPT.json);
  return await res.json();
}
async function deleteChat(chatId, options) {
  const res = await send(options, "DELETE", chatPath(chatId), ACCEPT.json);
  await res.body?.cancel();
}
async function getFile(chatId, fileId, options) {
  const res = await send(options, "GET", `${chatPath(chatId)}/files/${encodeURIComponent(fileId)}`, "image/*");
  return res.blob();
}
var STORED_FILE = /^\/api\/chat\/[^/\\?#]+\/files\/[^/\\?#]+$/;
async function getImage(imageUrl, options) {
  if (STORED_FILE.test(imageUrl)) return (await send(options, "GET", imageUrl, "image/*")).blob();
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(imageUrl);
  if (data) {
    const binary = atob(data[2]);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: data[1] });
  }
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const res = await doFetch(imageUrl, { method: "GET", signal: options.signal });
  if (!res.ok) throw await errorFromResponse(res);
  return res.blob();
}
async function chat(request, options) {
  const res = await post({ ...request, stream: false }, options, ACCEPT.json);
  return await res.json();
}
async function health(options) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const res = await doFetch(endpoint(options.baseUrl, "/health"), { method: "GET", signal: options.signal });
  if (!res.ok) throw await errorFromResponse(res);
  return await res.json();
}
export {
  CHAT_ID_MAX,
  CHAT_ID_PATTERN,
  ChatApiError,
  IMAGE_TYPES2 as IMAGE_TYPES,
  MAX_IMAGES,
  MAX_IMAGE_BYTES,
  answerApproval,
  chat,
  deleteChat,
  getFile,
  getImage,
  getMessages,
  health,
  imageProblem,
  listChats,
  readLines,
  readNdjson,
  readSse,
  resumeChat,
  sniffImageType2 as sniffImageType,
  stopChat,
  streamChat,
  toDataUrl
};
