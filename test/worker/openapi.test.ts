/**
 * The OpenAPI document (public/openapi.json) tells the truth about the app: every route the app
 * serves is documented and every documented operation is served, and real answers — streams,
 * envelopes, errors, resumable chats — have a documented status, content type, headers and body.
 * (That the committed document is a fresh generation, valid OpenAPI 3.1, is test/node/openapi.test.ts.)
 */
import { describe, expect, it } from "vitest";
import app from "../../src/index";
import { newNonce, waitForFake } from "../../tools/fakes/fake-azure-client";
import { checkResponse, openapi, resolve } from "../support/openapi";
import { fakeUrl, fetchApp, post, userText } from "./helpers";

/** Served from public/ by the assets layer before the Worker (test/node/docs-browser.test.ts fetches it). */
const STATIC_OPERATIONS = ["GET /openapi.json"];

const request = (method: string, path: string, headers: Record<string, string> = {}) =>
  fetchApp(new Request(`http://chatapi.test${path}`, { method, headers }));

describe("the document and the app's routes", () => {
  it("documents every route the app serves, and the app serves every documented operation", () => {
    const served = new Set(
      app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/\/$/, "").replace(/:(\w+)/g, "{$1}") || "/"}`),
    );
    const documented = new Set(
      Object.entries(openapi.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    expect([...served].sort()).toEqual([...documented].filter((op) => !STATIC_OPERATIONS.includes(op)).sort());
  });

  it("documents the error codes of docs/api.md \"Errors\" as envelopes, and bearer auth on the chat endpoints", () => {
    const codes = Object.keys(openapi.components.responses).map((name) => Number(name.replace("Error", "")));
    expect(codes).toEqual(expect.arrayContaining([400, 401, 404, 405, 406, 409, 413, 415, 429, 499, 502, 503, 504]));
    for (const name of Object.keys(openapi.components.responses)) {
      expect(resolve(openapi.components.responses[name]).content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Envelope" });
    }
    expect(openapi.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    for (const [path, method] of [["/api/chat", "post"], ["/api/chat/{chat_id}/stream", "get"], ["/api/chat/{chat_id}/stop", "post"]]) {
      expect(openapi.paths[path][method].security).toEqual([{ bearerAuth: [] }]);
    }
    expect(openapi.paths["/health"].get.security).toEqual([]);
  });
});

describe("what /docs offers", () => {
  it("lists application/json first for POST /api/chat's 200, so Swagger UI's Try it out asks for the envelope; the streamed types stay documented", () => {
    const content = resolve(openapi.paths["/api/chat"].post.responses["200"]).content;
    expect(Object.keys(content)).toEqual(["application/json", "application/x-ndjson", "text/event-stream"]);
    expect(content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Envelope" });
  });
});

describe("answers as documented", () => {
  it("GET /health and GET /api/schema", async () => {
    const health = await checkResponse("GET", "/health", await request("GET", "/health"));
    expect(health.items[0].status).toBe("healthy");
    const schema = await checkResponse("GET", "/api/schema", await request("GET", "/api/schema"));
    expect(schema.items[0].$defs.ChatRequest).toBeDefined();
  });

  it("POST /api/chat in each of its three formats", async () => {
    const ndjson = await checkResponse("POST", "/api/chat", await post(userText("hello ndjson")));
    expect(ndjson.mediaType).toBe("application/x-ndjson");
    expect(ndjson.items.map((e) => e.type)).toEqual(expect.arrayContaining(["step", "delta", "done"]));
    const sse = await checkResponse("POST", "/api/chat", await post(userText("hello sse"), { accept: "text/event-stream" }));
    expect(sse.items.at(-1)).toMatchObject({ type: "done", data: { answer: "echo: hello sse" } });
    const json = await checkResponse("POST", "/api/chat", await post(userText("hello json"), { accept: "application/json" }));
    expect(json.items[0]).toMatchObject({ code: 200, data: { answer: "echo: hello json" } });
  });

  it("keep-alives in an NDJSON stream are documented lines (PingEvent)", async () => {
    const res = await post(userText("[[fake:chunks n=3 delay=120]]"), { env: { HEARTBEAT_MS: "50" } });
    const { items } = await checkResponse("POST", "/api/chat", res);
    expect(items.some((e) => e.type === "ping")).toBe(true);
  });

  it("POST /api/chat refusals: 400, 401, 406, 413, 415, 503, and an error event 502 inside a stream", async () => {
    const checks: [Response, number][] = [
      [await post({ user_id: "u", query: [], steam: true }), 400],
      [await post(userText("x"), { headers: { authorization: "Bearer wrong-key" } }), 401],
      [await post(userText("x"), { accept: "text/html" }), 406],
      [await post(userText("x".repeat(3000)), { env: { MAX_BODY_BYTES: "1024" } }), 413],
      [await post(userText("x"), { headers: { "content-type": "text/plain" } }), 415],
      [await post(userText("x"), { env: { AZURE_OPENAI_ENDPOINT: "" } }), 503],
    ];
    for (const [res, status] of checks) {
      const { items } = await checkResponse("POST", "/api/chat", res);
      expect(items[0].code).toBe(status);
    }
    const broken = await checkResponse("POST", "/api/chat", await post(userText("[[fake:break]]")));
    expect(broken.items.at(-1)).toMatchObject({ type: "error", code: 502 });
  });

  it("a wrong method: the documented 405 envelope with Allow", async () => {
    const res = await request("GET", "/api/chat");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain("POST");
    const spec = openapi.components.responses.Error405;
    expect(Object.keys(spec.headers)).toEqual(["X-Request-Id", "Allow"]);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("a resumable chat: 409 while it runs, stop (200, then 404), its stream ending in 499, 204 for nobody's chat, 400 for a bad cursor", async () => {
    const id = `openapi_${crypto.randomUUID().slice(0, 8)}`;
    const nonce = newNonce();
    const running = await post(userText(`[[fake:chunks n=200 delay=20]] ${nonce}`, { chat_id: id }));
    await waitForFake(fakeUrl(), nonce, (r) => r.length === 1);
    const busy = await checkResponse("POST", "/api/chat", await post(userText("again", { chat_id: id })));
    expect(busy.status).toBe(409);
    const follower = request("GET", `/api/chat/${id}/stream?after=1`, { "last-event-id": "2", accept: "text/event-stream" });
    const stopped = await checkResponse("POST", "/api/chat/{chat_id}/stop", await request("POST", `/api/chat/${id}/stop`));
    expect(stopped.items[0]).toMatchObject({ code: 200, message: "Stopped" });
    const [own, followed] = await Promise.all([checkResponse("POST", "/api/chat", running), follower.then((r) => checkResponse("GET", "/api/chat/{chat_id}/stream", r))]);
    expect(own.items.at(-1)).toMatchObject({ type: "error", code: 499 });
    expect(followed.mediaType).toBe("text/event-stream");
    expect(followed.items[0].seq).toBe(3); // Last-Event-ID wins over ?after
    expect(followed.items.at(-1)).toMatchObject({ type: "error", code: 499 });
    expect((await checkResponse("POST", "/api/chat/{chat_id}/stop", await request("POST", `/api/chat/${id}/stop`))).status).toBe(404);
    expect((await checkResponse("GET", "/api/chat/{chat_id}/stream", await request("GET", `/api/chat/nobody_${nonce.slice(-8)}/stream`))).status).toBe(204);
    expect((await checkResponse("GET", "/api/chat/{chat_id}/stream", await request("GET", `/api/chat/${id}/stream?after=x`))).status).toBe(400);
    expect((await checkResponse("GET", "/api/chat/{chat_id}/stream", await request("GET", `/api/chat/${id}/stream`, { accept: "application/json" }))).status).toBe(406);
  });
});
