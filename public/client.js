// Generated from client/src by `npm run build:client`; do not edit.

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
var KNOWN = /* @__PURE__ */ new Set(["step", "delta", "done", "error"]);
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

// client/src/images.ts
var IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];
var MAX_IMAGE_BYTES = 20 * 1024 * 1024;
var MAX_IMAGES = 10;
function imageProblem(file) {
  if (!IMAGE_TYPES.includes(file.type)) return "type";
  if (file.size > MAX_IMAGE_BYTES) return "size";
  return void 0;
}
function sniffImageType(bytes) {
  const at = (i, ...sig) => sig.every((b, j) => bytes[i + j] === b);
  if (at(0, 137, 80, 78, 71, 13, 10, 26, 10)) return "image/png";
  if (at(0, 255, 216, 255)) return "image/jpeg";
  if (at(0, 71, 73, 70, 56)) return "image/gif";
  if (at(0, 82, 73, 70, 70) && at(8, 87, 69, 66, 80)) return "image/webp";
  return void 0;
}
function toDataUrl(bytes, type) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 32768) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 32768));
  }
  return `data:${type};base64,${btoa(binary)}`;
}

// client/src/index.ts
var ACCEPT = { ndjson: "application/x-ndjson", sse: "text/event-stream", json: "application/json" };
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
async function* streamChat(request, options) {
  const format = options.format ?? "ndjson";
  const res = await post({ ...request, stream: true }, options, ACCEPT[format]);
  if (!res.body) throw new ChatApiError(res.status, 502, "The response has no body", res.headers.get("x-request-id") ?? void 0);
  let last;
  let ended = false;
  for await (const event of format === "sse" ? readSse(res.body) : readNdjson(res.body)) {
    if (ended) continue;
    last = event;
    yield event;
    if (event.type === "done" || event.type === "error") ended = true;
  }
  if (ended) return;
  const requestId = last?.requestId ?? res.headers.get("x-request-id") ?? void 0;
  throw new ChatApiError(res.status, 502, "The stream ended without a done or error event", requestId);
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
  ChatApiError,
  IMAGE_TYPES,
  MAX_IMAGES,
  MAX_IMAGE_BYTES,
  chat,
  health,
  imageProblem,
  readLines,
  readNdjson,
  readSse,
  sniffImageType,
  streamChat,
  toDataUrl
};
