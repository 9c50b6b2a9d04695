/** API keys (docs/settings.md, "Security" and "Settings"): fail closed, 401 with WWW-Authenticate, open routes stay open. */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../src/schema/events";
import { envelopeOf, ndjson, terminal } from "./helpers";
import { chatBody, KEY_A, KEY_B, logLineOf, send } from "./security-support";

const KEYS = { API_KEYS: ` ${KEY_A} , ${KEY_B} `, ALLOW_ANONYMOUS: "false" };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function served(res: Response): Promise<void> {
  expect(res.status).toBe(200);
  expect(terminal(await ndjson(res)).type).toBe("done");
}

describe("without keys configured (fail closed)", () => {
  const env = { API_KEYS: "", ALLOW_ANONYMOUS: "false" };

  it.each([
    ["no key", {}],
    ["some key", bearer(KEY_A)],
  ])("refuses every chat with a 503 that says what to configure (%s)", async (_, headers) => {
    const res = await send("/api/chat", { headers, body: chatBody(), env });
    const body = await envelopeOf(res, 503, /API_KEYS.*ALLOW_ANONYMOUS=true/);
    expect(body.data.steps).toEqual([]);
  });

  it.each([
    ["1", 503],
    ["yes", 503],
    ["on", 503],
    ["", 503],
    ["false", 503],
    ["true", 200],
    ["TRUE ", 200], // case and surrounding spaces do not matter
  ])("reads ALLOW_ANONYMOUS=%j with no keys as a %i: only true serves anonymous clients", async (value, status) => {
    const res = await send("/api/chat", { body: chatBody(), env: { API_KEYS: "", ALLOW_ANONYMOUS: value } });
    if (status === 200) await served(res);
    else await envelopeOf(res, 503, /API_KEYS/);
  });

  it("with ALLOW_ANONYMOUS=true serves clients without a key, and refuses any key with a 401 that says the server has none", async () => {
    const anonymous = { API_KEYS: "", ALLOW_ANONYMOUS: "true" };
    await served(await send("/api/chat", { body: chatBody(), env: anonymous }));
    await served(await send("/api/chat", { headers: { authorization: "Bearer " }, body: chatBody(), env: anonymous }));
    const res = await send("/api/chat", { headers: bearer(KEY_A), body: chatBody(), env: anonymous });
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    const body = await envelopeOf(res, 401, /no API keys configured \(API_KEYS is empty\): send no Authorization header/);
    expect(body.message).not.toMatch(/Invalid API key/);
  });
});

describe("with keys configured", () => {
  it("serves each configured key", async () => {
    for (const key of [KEY_A, KEY_B]) await served(await send("/api/chat", { headers: bearer(key), body: chatBody(), env: KEYS }));
    // The scheme is case-insensitive.
    await served(await send("/api/chat", { headers: { authorization: `bearer  ${KEY_A}` }, body: chatBody(), env: KEYS }));
  });

  it.each([
    ["no Authorization header", {}, /Missing API key/, /^Bearer realm="chatapi"$/],
    ["an empty Bearer", { authorization: "Bearer" }, /Missing API key/, /^Bearer /],
    ["a wrong key", bearer("sk-test-wrong-000000000000"), /Invalid API key/, /error="invalid_token"/],
    ["a prefix of a key", bearer(KEY_A.slice(0, -1)), /Invalid API key/, /invalid_token/],
    ["a key plus more", bearer(`${KEY_A}x`), /Invalid API key/, /invalid_token/],
    ["both keys joined", bearer(`${KEY_A},${KEY_B}`), /Invalid API key/, /invalid_token/],
    ["a very long key", bearer(KEY_A.repeat(200)), /Invalid API key/, /invalid_token/],
    ["Basic auth", { authorization: `Basic ${btoa(`u:${KEY_A}`)}` }, /Bearer KEY/, /invalid_request/],
    ["the key without a scheme", { authorization: KEY_A }, /Bearer KEY/, /invalid_request/],
  ])("refuses %s with a 401 envelope and WWW-Authenticate: Bearer", async (_, headers, message, challenge) => {
    const res = await send("/api/chat", { headers, body: chatBody(), env: KEYS });
    expect(res.headers.get("www-authenticate")).toMatch(challenge);
    const body = await envelopeOf(res, 401, message);
    expect(JSON.stringify(body)).not.toContain(KEY_A);
  });

  it("checks the key before reading the body: an invalid body without a key is a 401", async () => {
    await envelopeOf(await send("/api/chat", { body: "{not json", env: KEYS }), 401);
    await envelopeOf(await send("/api/chat", { headers: { "content-type": "text/plain" }, body: "x", env: KEYS }), 401);
  });

  it("still serves anonymous clients when ALLOW_ANONYMOUS=true, but not wrong keys", async () => {
    const both = { API_KEYS: KEY_A, ALLOW_ANONYMOUS: "true" };
    await served(await send("/api/chat", { body: chatBody(), env: both }));
    await served(await send("/api/chat", { headers: bearer(KEY_A), body: chatBody(), env: both }));
    await envelopeOf(await send("/api/chat", { headers: bearer(KEY_B), body: chatBody(), env: both }), 401);
  });

  it("logs the key's fingerprint, never the key", async () => {
    const res = await send("/api/chat", { headers: bearer(KEY_A), body: chatBody(), env: KEYS });
    await served(res);
    const line = await logLineOf(res);
    expect(line.key).toMatch(/^key_[0-9a-f]{12}$/);
    expect(JSON.stringify(line)).not.toContain(KEY_A);
    const again = await send("/api/chat", { headers: bearer(KEY_A), body: chatBody(), env: KEYS });
    await served(again);
    expect((await logLineOf(again)).key).toBe(line.key);
  });
});

describe("open routes", () => {
  // Static assets (public/) are served by the platform before the Worker runs: no key is asked there.
  it("needs no key for /health and /api/schema, even with no keys configured", async () => {
    for (const env of [KEYS, { API_KEYS: "", ALLOW_ANONYMOUS: "false" }]) {
      const health = await send("/health", { method: "GET", env });
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "healthy" });
      expect((await send("/api/schema", { method: "GET", env })).status).toBe(200);
    }
  });

  it("answers 404 and 405 without asking for a key", async () => {
    await envelopeOf(await send("/nope", { method: "GET", env: KEYS }), 404);
    await envelopeOf(await send("/api/chat", { method: "GET", env: KEYS }), 405);
  });

  it("keeps error envelopes free of steps", async () => {
    const body: Envelope = await envelopeOf(await send("/api/chat", { body: chatBody(), env: KEYS }), 401);
    expect(body.data).toEqual({ steps: [] });
  });
});
