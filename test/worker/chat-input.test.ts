/** Bad input gets a clear 4xx envelope naming the field, and the service keeps serving. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../src/schema/events";
import { PNG_1X1_BASE64 as PNG } from "../../tools/png";
import { envelopeOf, post, userText } from "./helpers";

/** An error envelope with that status and message, refused before any step began. */
async function rejected(res: Response, status: number, message: RegExp): Promise<void> {
  expect((await envelopeOf(res, status, message)).data).toEqual({ steps: [] });
}

const image = (url: string) => ({ user_id: "u", query: [{ role: "user", content: [{ type: "input_text", text: "看" }, { type: "input_image", image_url: url }] }] });

describe("request validation", () => {
  it.each([
    ["no user_id", { query: [{ role: "user", content: "hi" }] }, /^user_id: is required/],
    ["a long user_id", { user_id: "u".repeat(129), query: [{ role: "user", content: "hi" }] }, /^user_id: /],
    ["an empty query", { user_id: "u", query: [] }, /^query: /],
    ["a bad role", { user_id: "u", query: [{ role: "tool", content: "hi" }] }, /^query\[0\]\.role: /],
    ["a bad part type", { user_id: "u", query: [{ role: "user", content: [{ type: "input_audio" }] }] }, /^query\[0\]\.content\[0\]\.type: /],
    ["a bad detail", { user_id: "u", query: [{ role: "user", content: [{ type: "input_image", image_url: "https://x.test/a.png", detail: "max" }] }] }, /^query\[0\]\.content\[0\]\.detail: /],
    ["a non-boolean stream", { ...userText("hi"), stream: "no" }, /^stream: /],
    ["an array body", [1, 2], /^body: /],
  ])("rejects %s with a 400 that names the field", async (_, body, message) => {
    await rejected(await post(body), 400, message);
  });

  it("rejects malformed JSON with a 400 naming the body", async () => {
    await rejected(await post('{"user_id": "u", "query": ['), 400, /^body: .*JSON/i);
  });

  it("rejects a non-JSON content type with a 415", async () => {
    await rejected(await post("user_id=u", { headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, /application\/json/);
  });

  it.each([
    ["a bmp", `data:image/bmp;base64,${PNG}`, /content\[1\]\.image_url: .*image\/bmp/],
    ["a jpeg that is a png", `data:image/jpeg;base64,${PNG}`, /content\[1\]\.image_url: .*not a JPEG/],
    ["broken base64", `data:image/png;base64,${PNG.slice(0, 40)}!${PNG.slice(41)}`, /content\[1\]\.image_url: .*base64/],
    ["plain http", "http://example.com/a.png", /content\[1\]\.image_url: /],
  ])("rejects %s image with a 400 naming it", async (_, url, message) => {
    await rejected(await post(image(url)), 400, message);
  });

  it("rejects an image over 20 MiB with a 413", async () => {
    const big = PNG.slice(0, 24) + "A".repeat(28 * 1024 * 1024);
    await rejected(await post(image(`data:image/png;base64,${big}`)), 413, /20 MiB/);
  });

  it("rejects more than ten images with a 400", async () => {
    const part = { type: "input_image", image_url: `data:image/png;base64,${PNG}` };
    await rejected(await post({ user_id: "u", query: [{ role: "user", content: new Array(11).fill(part) }] }), 400, /^query: too many images/);
  });
});

describe("routes", () => {
  it("answers /health without a key", async () => {
    const res = await exports.default.fetch("http://x/health");
    expect(res.status).toBe(200);
    const body = await res.json<{ status: string; timestamp: string }>();
    expect(body.status).toBe("healthy");
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
  });

  it("answers unknown paths with a 404 envelope", async () => {
    const res = await exports.default.fetch("http://x/nope");
    await rejected(res, 404, /\/nope/);
  });

  it("answers a wrong method with a 405 envelope and Allow", async () => {
    const res = await exports.default.fetch("http://x/api/chat");
    expect(res.headers.get("allow")).toBe("POST");
    await rejected(res, 405, /POST/);
  });

  it("keeps serving chats right after refusing bad input", async () => {
    await rejected(await post('{"user_id": "u", "query": ['), 400, /^body: /);
    await rejected(await post(image(`data:image/bmp;base64,${PNG}`)), 400, /image\/bmp/);
    const res = await post(userText("still here?"), { accept: "application/json" });
    expect(res.status).toBe(200);
    expect((await res.json<Envelope>()).data.answer).toBe("echo: still here?");
  });
});
