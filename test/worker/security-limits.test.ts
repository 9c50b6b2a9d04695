/** Body and field limits: clear 400/413 envelopes naming the field, checked before the upstream is called. */
import { describe, expect, it } from "vitest";
import { fakeRequests, newNonce } from "../../tools/fakes/fake-azure-client";
import { PNG_1X1_BASE64 } from "../../tools/png";
import { chunked, envelopeOf, fakeUrl, ndjson, terminal } from "./helpers";
import { send } from "./security-support";

const chat = (query: unknown[], userId = "user_limits") => JSON.stringify({ user_id: userId, query });
const user = (content: unknown) => ({ role: "user", content });

describe("body limit (MAX_BODY_BYTES)", () => {
  it("refuses a body over the limit with a 413 naming MAX_BODY_BYTES, before parsing it", async () => {
    const nonce = newNonce();
    const body = chat([user(`${nonce} ${"x".repeat(5000)}`)]);
    const res = await send("/api/chat", { body, env: { MAX_BODY_BYTES: "4096" } });
    await envelopeOf(res, 413, /^body: larger than the 4096 bytes allowed \(MAX_BODY_BYTES\)/);
    // Not JSON at all, but too big: the limit comes first.
    await envelopeOf(await send("/api/chat", { body: "{".repeat(5000), env: { MAX_BODY_BYTES: "4096" } }), 413);
    expect(await fakeRequests(fakeUrl(), nonce)).toHaveLength(0);
  });

  it("counts a chunked body as it arrives", async () => {
    const res = await send("/api/chat", { body: chunked(chat([user("y".repeat(10_000))])), env: { MAX_BODY_BYTES: "4096" } });
    await envelopeOf(res, 413, /MAX_BODY_BYTES/);
    const ok = await send("/api/chat", { body: chunked(chat([user("small enough")])), env: { MAX_BODY_BYTES: "4096" } });
    expect(terminal(await ndjson(ok)).type).toBe("done");
  });

  it("refuses a declared Content-Length over the limit without reading the body", async () => {
    const res = await send("/api/chat", { headers: { "content-length": "999999" }, body: chat([user("hi")]), env: { MAX_BODY_BYTES: "4096" } });
    await envelopeOf(res, 413, /MAX_BODY_BYTES/);
  });

  it("defaults to 32 MiB: a 33 MiB body is refused with a 413 naming the limit", async () => {
    const res = await send("/api/chat", { body: `${chat([user("hi")]).slice(0, -1)}, "pad": "${"p".repeat(33 * 1024 * 1024)}"}` });
    await envelopeOf(res, 413, /32 MiB/);
  });

  it("defaults to 32 MiB: one image at the 20 MiB limit (about 27 MiB of base64) fits and is chatted about", async () => {
    // A PNG signature, then zero bytes up to 20 MiB minus 2 (a multiple of 3: base64 without padding).
    const decoded = 20 * 1024 * 1024 - 2;
    const data = PNG_1X1_BASE64.slice(0, 12) + "A".repeat((decoded / 3) * 4 - 12);
    expect(data.length).toBeGreaterThan(26.6 * 1024 * 1024);
    const nonce = newNonce();
    const body = chat([user([{ type: "input_text", text: `what is this? ${nonce}` }, { type: "input_image", image_url: `data:image/png;base64,${data}` }])]);
    expect(body.length).toBeLessThan(32 * 1024 * 1024);
    // 27 MiB to the fake Azure and back can outlast the suite's 5 s upstream bound on a loaded machine.
    const res = await send("/api/chat", { body, env: { UPSTREAM_TIMEOUT_MS: "60000" } });
    expect(res.status).toBe(200);
    const end = terminal(await ndjson(res));
    expect(end.type, JSON.stringify(end.type === "error" ? end : end.type)).toBe("done");
    expect(end.data.answer).toBe(`echo: what is this? ${nonce}`);
    const [parser] = end.data.steps.filter((s) => s.tool_type === "InputParser");
    expect(JSON.parse(parser.parameters)).toEqual({ query_items: 1, images: 1 });
  }, 60_000);
});

describe("field limits", () => {
  it("refuses more messages than MAX_QUERY_ITEMS with a 400 naming query", async () => {
    const query = Array.from({ length: 6 }, (_, i) => user(`m${i}`));
    await envelopeOf(await send("/api/chat", { body: chat(query), env: { MAX_QUERY_ITEMS: "5" } }), 400, /^query: 6 messages, more than the 5 allowed \(MAX_QUERY_ITEMS\)/);
    const res = await send("/api/chat", { body: chat(query.slice(0, 5)), env: { MAX_QUERY_ITEMS: "5" } });
    expect(terminal(await ndjson(res)).type).toBe("done");
  });

  it("defaults MAX_QUERY_ITEMS to 100", async () => {
    const query = Array.from({ length: 101 }, () => user("m"));
    await envelopeOf(await send("/api/chat", { body: chat(query) }), 400, /more than the 100 allowed/);
  });

  it.each([
    ["a string content", [user("z".repeat(11))], /^query\[0\]\.content: 11 characters, more than the 10 allowed \(MAX_TEXT_CHARS\)/],
    ["an input_text part", [user([{ type: "input_text", text: "ok" }, { type: "input_text", text: "z".repeat(11) }])], /^query\[0\]\.content\[1\]\.text: /],
    ["a system message", [{ role: "system", content: "z".repeat(11) }, user("hi")], /^query\[0\]\.content: /],
    ["an assistant output_text", [user("hi"), { role: "assistant", content: [{ type: "output_text", text: "z".repeat(11) }] }, user("hi")], /^query\[1\]\.content\[0\]\.text: /],
  ])("refuses a text longer than MAX_TEXT_CHARS in %s with a 413 naming it", async (_, query, message) => {
    await envelopeOf(await send("/api/chat", { body: chat(query), env: { MAX_TEXT_CHARS: "10" } }), 413, message);
  });

  it("defaults MAX_TEXT_CHARS to 200000", async () => {
    await envelopeOf(await send("/api/chat", { body: chat([user("z".repeat(200_001))]) }), 413, /more than the 200000 allowed/);
  });

  it("keeps user_id at 1 to 128 characters", async () => {
    await envelopeOf(await send("/api/chat", { body: chat([user("hi")], "u".repeat(129)) }), 400, /^user_id: /);
    await envelopeOf(await send("/api/chat", { body: chat([user("hi")], "") }), 400, /^user_id: /);
    const res = await send("/api/chat", { body: chat([user("hi")], "u".repeat(128)) });
    expect(terminal(await ndjson(res)).type).toBe("done");
  });

  it("reads an unreadable MAX_TEXT_CHARS and an empty MAX_BODY_BYTES as their defaults (200000, 32 MiB)", async () => {
    const env = { MAX_TEXT_CHARS: "lots", MAX_BODY_BYTES: "" };
    // 200,000 characters pass (a body of ~200 KB: the body limit is not some small number either)…
    const res = await send("/api/chat", { body: chat([user("z".repeat(200_000))]), env });
    expect(terminal(await ndjson(res)).type).toBe("done");
    // …and one more is refused, naming the default.
    await envelopeOf(await send("/api/chat", { body: chat([user("z".repeat(200_001))]), env }), 413, /more than the 200000 allowed \(MAX_TEXT_CHARS\)/);
  });

  it("clamps an out-of-range MAX_QUERY_ITEMS (-3) to 1", async () => {
    const env = { MAX_QUERY_ITEMS: "-3" };
    expect(terminal(await ndjson(await send("/api/chat", { body: chat([user("one")]), env }))).type).toBe("done");
    await envelopeOf(await send("/api/chat", { body: chat([user("one"), user("two")]), env }), 400, /more than the 1 allowed \(MAX_QUERY_ITEMS\)/);
  });
});
