/**
 * Property-based fuzzing of `POST /api/chat` inside workerd (fast-check): thousands of malformed,
 * oversized, deeply nested and hostile requests. Every answer must be a 4xx envelope (valid JSON,
 * `code` == status, `requestId` == X-Request-Id, no steps) or, for the few bodies that happen to be
 * valid, a chat that ends in `done`; never a 5xx. Afterwards the service is healthy and chats.
 *
 * Bodies are built as JSON text (not JSON.stringify of objects), so they can hold what objects
 * can't: raw `__proto__` keys, duplicate keys, numbers like 1e400, raw control characters and lone
 * surrogates. A failure prints fast-check's seed and path; put the seed in SEED below to replay it.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { ChatEvent, Envelope } from "../../src/schema/events";
import { chunked, envelopeOf, fetchApp, ndjson, post, terminal, userText } from "./helpers";
import { PNG_1X1_BASE64 as PNG } from "../../tools/png";

/** undefined: a new seed every run (printed on failure); a number: replay that run. */
const SEED: number | undefined = undefined;

// ---------------------------------------------------------------- JSON text with a tree behind it

/** A JSON value as a tree whose objects keep every key as given, `__proto__` and duplicates too. */
type Tree = null | boolean | number | string | Raw | Obj | Tree[];
class Raw {
  constructor(readonly text: string) {}
}
class Obj {
  constructor(readonly entries: [string, Tree][]) {}
}

function toJson(value: Tree): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  return JSON.stringify(value) ?? "null";
}

/** Every place in the tree a value sits, as a path of keys / indexes. */
function paths(value: Tree, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (value instanceof Obj) value.entries.forEach(([, v], i) => out.push(...paths(v, [...at, i])));
  else if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  return out;
}

function replaceAt(value: Tree, path: (string | number)[], replacement: Tree): Tree {
  if (!path.length) return replacement;
  const [head, ...rest] = path;
  if (value instanceof Obj) {
    return new Obj(value.entries.map(([k, v], i) => [k, i === head ? replaceAt(v, rest, replacement) : v]));
  }
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaceAt(v, rest, replacement) : v));
  return value;
}

// ---------------------------------------------------------------- hostile pieces

const HOSTILE_STRINGS = [
  "", " ", "\u0000", "a\u0000b", "\ud800", "\udfff", "x\ud83d", "\ufeff", "\u202e", "\uffff", "🙂".repeat(3),
  "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "user", "system", "input_image",
  "${7*7}", "{{7*7}}", "<script>alert(1)</script>", "' OR 1=1 --", "../../../etc/passwd", "%00", "\r\n\r\nX-Injected: 1",
  "data:image/png;base64,", "javascript:alert(1)", "null", "true", "[]", "{}",
];
const KEYS = ["__proto__", "constructor", "prototype", "user_id", "query", "role", "content", "type", "text", "image_url", "detail", "stream", ""];
const HUGE_NUMBERS = ["1e400", "-1e400", "1e-400", "-0", "123456789012345678901234567890", "9007199254740993", "0.1e99999", "-9e-999"];

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.oneof(lone, fc.constantFrom("\u0000", "a", "\u0001", "\\", '"')), maxLength: 20 }),
  fc.integer({ min: 129, max: 400 }).map((n) => "u".repeat(n)),
);

/** Valid JSON that is wrong almost everywhere it is put. */
const hostileValue: fc.Arbitrary<Tree> = fc.letrec<{ value: Tree; array: Tree[]; object: Obj }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    hostileString,
    fc.constantFrom(...HUGE_NUMBERS).map((n) => new Raw(n)),
    fc.double().map((d) => (Number.isFinite(d) ? d : new Raw("1e999"))),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.integer({ min: 1, max: 3000 }).map((n) => new Raw("[".repeat(n) + "]".repeat(n))),
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), hostileString), tie("value")), { maxLength: 5 }).map((e) => new Obj(e)),
})).value;

/** Not JSON: raw control characters and lone surrogates in strings, cut-offs, junk. */
const brokenJson = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "binary-ascii", maxLength: 200 }),
  hostileString.map((s) => `{"user_id":"${s}","query":[{"role":"user","content":"${s}"}]}`),
  fc.constantFrom("", "{", "[", "{}}", '{"a":1,}', "[1,]", "{'a':1}", "NaN", "undefined", "\ufeff{}", '{"user_id":"u" "query":[]}', "01", "-", "1e", '"\\u12"', '"\\x41"'),
);

// ---------------------------------------------------------------- valid bodies to mutate

const text = fc.string({ maxLength: 12 });
const image = fc.record({ type: fc.constant("input_image"), image_url: fc.constant(`data:image/png;base64,${PNG}`), detail: fc.constantFrom("auto", "low", "high") });
const message = fc.oneof(
  fc.record({ role: fc.constant("user"), content: fc.oneof(text, fc.array(fc.oneof(fc.record({ type: fc.constant("input_text"), text }), image), { minLength: 1, maxLength: 3 })) }),
  fc.record({ role: fc.constant("system"), content: text }),
  fc.record({ role: fc.constant("assistant"), content: fc.oneof(text, fc.constant([{ type: "output_text", text: "earlier" }])) }),
);
const validBody = fc
  .record({ user_id: fc.string({ minLength: 1, maxLength: 16 }), query: fc.array(message, { minLength: 1, maxLength: 3 }) })
  .map((body) => toTree(body));

function toTree(value: unknown): Tree {
  if (Array.isArray(value)) return value.map(toTree);
  if (value && typeof value === "object") return new Obj(Object.entries(value).map(([k, v]) => [k, toTree(v)]));
  return value as Tree;
}

/** A valid body with one value replaced, or one hostile key added to one object. */
const mutatedBody = fc
  .tuple(validBody, fc.nat(), hostileValue, fc.boolean(), fc.constantFrom("__proto__", "constructor", "prototype", "user_id", "query", "stream"))
  .map(([body, pick, value, addKey, key]) => {
    const all = paths(body);
    const path = all[pick % all.length];
    if (!addKey) return toJson(replaceAt(body, path, value));
    return toJson(addEntry(body, path, key, value));
  });

function addEntry(value: Tree, path: (string | number)[], key: string, extra: Tree): Tree {
  const target = path.reduce<Tree>((node, step) => (node instanceof Obj ? node.entries[step as number][1] : (node as Tree[])[step as number]), value);
  if (!(target instanceof Obj)) return replaceAt(value, path, new Obj([[key, extra]]));
  return replaceAt(value, path, new Obj([...target.entries, [key, extra]]));
}

const badImageUrl = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("png", "jpeg", "webp", "gif", "bmp", "svg+xml", "PNG", "", "png;charset=utf-8", "x-icon"),
      fc.constantFrom(";base64,", ",", ";base64", ";BASE64,", ";base64,,"),
      fc.oneof(
        fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="), maxLength: 64 }),
        fc.string({ unit: "binary", maxLength: 32 }),
        fc.constantFrom("", "====", "A", "AB=", "/9j/", "R0lGODlh", PNG.slice(0, 30), `${PNG} `, `${PNG}\n`, PNG.replace("A", "-"), `  ${PNG}`),
      ),
    )
    .map(([type, sep, data]) => `data:image/${type}${sep}${data}`),
  fc.constantFrom("https://", "https://[::1", "http://example.com/a.png", "ftp://x/a.png", "javascript:alert(1)", "data:text/html,<b>x</b>", " data:image/png;base64,AAAA", "file:///etc/passwd", "//example.com/a.png"),
  hostileString,
);
const badImageBody = fc
  .tuple(badImageUrl, fc.constantFrom("auto", "low", "high", "max", ""))
  .map(([url, detail]) => JSON.stringify({ user_id: "fuzz", query: [{ role: "user", content: [{ type: "input_image", image_url: url, detail }] }] }));

// ---------------------------------------------------------------- the oracle

const stats = { requests: 0, refused: 0, served: 0, byStatus: new Map<number, number>() };

async function sendRaw(body: BodyInit, headers: Record<string, string>, env: Partial<Env> = {}): Promise<Response> {
  return fetchApp(new Request("http://chatapi.test/api/chat", { method: "POST", headers, body }), env);
}

/** Every answer is a 4xx envelope or a finished chat; never a 5xx. */
async function checkAnswer(res: Response): Promise<void> {
  stats.requests++;
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
  const requestId = res.headers.get("x-request-id");
  expect(requestId).toMatch(/^req_/);
  if (res.status === 200) {
    stats.served++;
    const type = res.headers.get("content-type") ?? "";
    if (type.startsWith("application/json")) {
      expect((await res.json<Envelope>()).code).toBe(200);
    } else if (type.startsWith("text/event-stream")) {
      expect(await res.text()).toMatch(/event: done\ndata: .*\n\n$/);
    } else {
      const events: ChatEvent[] = await ndjson(res);
      expect(terminal(events).type).toBe("done");
    }
    return;
  }
  stats.refused++;
  expect(res.status, await res.clone().text()).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  const envelope = await envelopeOf(res);
  expect(typeof envelope.message).toBe("string");
  expect(envelope.message.length).toBeGreaterThan(0);
  expect(envelope.data).toEqual({ steps: [] });
}

const run = <T>(arb: fc.Arbitrary<T>, numRuns: number, check: (value: T) => Promise<void>) =>
  fc.assert(fc.asyncProperty(arb, check), { numRuns, seed: SEED, endOnFailure: true });

const JSON_HEADERS = { "content-type": "application/json" };

// Thousands of requests per test: about 2 s each on an idle 2-core machine, several times that when
// the machine is shared, so the 5 s default is too tight a bound (a timed-out property keeps sending).
describe("fuzzing POST /api/chat", { timeout: 60_000 }, () => {
  afterAll(() => {
    console.info(`fuzz: ${stats.requests} requests, ${stats.refused} refused, ${stats.served} served; by status ${JSON.stringify(Object.fromEntries(stats.byStatus))}`);
  });

  it("answers any JSON value with a 4xx envelope", async () => {
    await run(hostileValue, 2000, async (value) => checkAnswer(await sendRaw(toJson(value), JSON_HEADERS)));
  });

  it("answers text that is not JSON with a 4xx envelope", async () => {
    await run(brokenJson, 1000, async (body) => checkAnswer(await sendRaw(body, JSON_HEADERS)));
  });

  it("answers valid bodies with one hostile value or key: 4xx, or a chat that ends in done", async () => {
    await run(mutatedBody, 1200, async (body) => checkAnswer(await sendRaw(body, JSON_HEADERS)));
  });

  it("answers bad image data URLs with a 4xx envelope", async () => {
    await run(badImageBody, 500, async (body) => checkAnswer(await sendRaw(body, JSON_HEADERS)));
  });

  it("answers wrong content types, Accept headers and keys with a 4xx envelope", async () => {
    const contentType = fc.constantFrom(
      "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonp",
      "application/json; charset=utf-16", "APPLICATION/JSON", "application/ld+json", "application/json;;", "json", "*/*",
    );
    const accept = fc.oneof(fc.constantFrom("image/png", "text/html", "application/x-ndjson;q=0", "*/*;q=0", "text/event-stream", "", "application/json;q=abc"), fc.string({ unit: "grapheme-ascii", maxLength: 30 }));
    const authorization = fc.oneof(fc.constant(undefined), fc.constantFrom("Bearer", "Basic x", "Bearer a b", "bearer test-api-key-3d9f1c2ab84e-no"), fc.string({ unit: "grapheme-ascii", maxLength: 60 }));
    const keysConfigured = fc.boolean();
    await run(fc.tuple(contentType, accept, authorization, keysConfigured, fc.oneof(hostileValue.map(toJson), brokenJson)), 500, async ([type, acc, auth, keys, body]) => {
      const headers: Record<string, string> = { "content-type": type, accept: acc };
      if (auth !== undefined) headers.authorization = auth;
      await checkAnswer(await sendRaw(body, headers, keys ? { ALLOW_ANONYMOUS: "false" } : {}));
    });
  });

  it("answers oversized bodies with a 413 envelope, declared or chunked", async () => {
    const limit = 2048;
    await run(fc.tuple(fc.integer({ min: limit + 1, max: 64 * 1024 }), fc.boolean(), fc.constantFrom("x", "é", "🙂", "\u0000")), 200, async ([size, chunkedBody, fill]) => {
      const text = `{"user_id":"u","query":[{"role":"user","content":"${fill.repeat(size)}"}]}`;
      const bytes = new TextEncoder().encode(text);
      const body = chunkedBody ? chunked(bytes, 7) : bytes;
      const res = await sendRaw(body, JSON_HEADERS, { MAX_BODY_BYTES: String(limit) });
      expect(res.status).toBe(413);
      await checkAnswer(res);
    });
  });

  it("answers deeply nested bodies with a 4xx envelope", async () => {
    const shape = fc.constantFrom(
      (n: number) => "[".repeat(n) + "]".repeat(n),
      (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n),
      (n: number) => `{"user_id":"u","query":${"[".repeat(n)}${"]".repeat(n)}}`,
      (n: number) => `{"user_id":"u","query":[{"role":"user","content":"hi","x":${'{"y":'.repeat(n)}0${"}".repeat(n)}}]}`,
      (n: number) => `{"user_id":${"[".repeat(n)}${"]".repeat(n)},"query":[]}`,
      (n: number) => "[".repeat(n), // unbalanced
    );
    await run(fc.tuple(shape, fc.integer({ min: 1000, max: 200_000 })), 40, async ([make, depth]) => checkAnswer(await sendRaw(make(depth), JSON_HEADERS)));
  });

  it("answers raw bytes that are not UTF-8 with a 4xx envelope", async () => {
    await run(fc.uint8Array({ minLength: 0, maxLength: 300 }), 300, async (bytes) => checkAnswer(await sendRaw(bytes, JSON_HEADERS)));
  });

  it("is healthy right after a burst of hostile requests: /health and a normal chat work", async () => {
    // Its own burst, so this holds however the tests above ran (alone, filtered, in any order).
    const before = stats.requests;
    const hostile = fc.oneof(hostileValue.map(toJson), brokenJson, mutatedBody, badImageBody);
    await run(hostile, 300, async (body) => checkAnswer(await sendRaw(body, JSON_HEADERS)));
    expect(stats.requests - before).toBe(300);
    const health = await fetchApp(new Request("http://chatapi.test/health"));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "healthy" });
    const events = await ndjson(await post(userText("still fine after the fuzz?")));
    const end = terminal(events);
    expect(end.type).toBe("done");
    expect(end.data.answer).toBe("echo: still fine after the fuzz?");
  });
});
