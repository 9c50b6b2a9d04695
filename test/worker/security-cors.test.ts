/** CORS from CORS_ORIGINS: preflight without a key, headers on successes and errors, foreign origins refused. */
import { describe, expect, it } from "vitest";
import { envelopeOf, ndjson, terminal } from "./helpers";
import { chatBody, KEY_A, send } from "./security-support";

const SITE = "https://app.example.com";
const OTHER = "https://other.example.com";
const ENV = { CORS_ORIGINS: `${SITE}, https://second.example.com/`, API_KEYS: KEY_A, ALLOW_ANONYMOUS: "false" };

function preflight(origin: string, env: Partial<Env> = ENV) {
  return send("/api/chat", {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    env,
  });
}

function corsHeaders(res: Response): string[] {
  return [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

describe("CORS", () => {
  it("answers a preflight from an allowed origin without a key", async () => {
    const res = await preflight(SITE);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase().split(",");
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(res.headers.get("vary")).toMatch(/origin/i);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    // A listed origin given with a trailing slash in CORS_ORIGINS matches too.
    expect((await preflight("https://second.example.com")).headers.get("access-control-allow-origin")).toBe("https://second.example.com");
  });

  it("exposes X-Request-Id on a chat from an allowed origin", async () => {
    const res = await send("/api/chat", { headers: { origin: SITE, authorization: `Bearer ${KEY_A}` }, body: chatBody(), env: ENV });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(res.headers.get("access-control-expose-headers")!.toLowerCase()).toContain("x-request-id");
    expect(terminal(await ndjson(res)).type).toBe("done");
  });

  it.each([
    ["401 (no key)", { origin: SITE }, chatBody(), 401],
    ["400 (bad body)", { origin: SITE, authorization: `Bearer ${KEY_A}` }, "{}", 400],
    ["415 (not JSON)", { origin: SITE, authorization: `Bearer ${KEY_A}`, "content-type": "text/plain" }, "hi", 415],
  ])("puts the CORS headers on error envelopes too: %s", async (_, headers, body, status) => {
    const res = await send("/api/chat", { headers, body, env: ENV });
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(res.headers.get("access-control-expose-headers")!.toLowerCase()).toContain("x-request-id");
    await envelopeOf(res, status);
  });

  it("gives a foreign origin no CORS headers at all, preflight or not", async () => {
    const res = await preflight(OTHER);
    expect(corsHeaders(res)).toEqual([]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    await res.arrayBuffer();
    const chat = await send("/api/chat", { headers: { origin: OTHER, authorization: `Bearer ${KEY_A}` }, body: chatBody(), env: ENV });
    expect(corsHeaders(chat)).toEqual([]);
    expect(chat.headers.get("vary")).toMatch(/origin/i);
    await chat.arrayBuffer();
  });

  it("allows no origin at all when CORS_ORIGINS is empty", async () => {
    const res = await preflight(SITE, { ...ENV, CORS_ORIGINS: "" });
    expect(corsHeaders(res)).toEqual([]);
    await res.arrayBuffer();
  });

  it("allows any origin with *", async () => {
    const res = await preflight(OTHER, { ...ENV, CORS_ORIGINS: "*" });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const health = await send("/health", { method: "GET", headers: { origin: OTHER }, env: { CORS_ORIGINS: "*" } });
    expect(health.headers.get("access-control-allow-origin")).toBe("*");
    await health.arrayBuffer();
  });
});
