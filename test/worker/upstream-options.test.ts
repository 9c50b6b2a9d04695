/**
 * The three ways to Azure (docs/settings.md, "Upstream options"), end to end over HTTP to the fake Azure,
 * which records the path, query and headers each request arrived with:
 *   - classic: {endpoint}openai/deployments/{deployment}/chat/completions?api-version=… (AzureOpenAI);
 *   - AZURE_OPENAI_API_VERSION=v1: {endpoint}openai/v1/chat/completions, the deployment as
 *     `model`, no api-version (the plain OpenAI client on a baseURL);
 *   - an endpoint ending in /azure-openai/{resource}: a Cloudflare AI Gateway for Azure,
 *     {endpoint}/{deployment}/chat/completions?api-version=… (the plain client, the same wire).
 * The key always travels as `api-key`, never also as a bearer token, and the answer streams.
 */
import { describe, expect, it } from "vitest";
import { azureApi } from "../../src/config";
import { newNonce, type RecordedRequest, waitForFake } from "../../tools/fakes/fake-azure-client";
import { deltas, envelopeOf, fakeUrl, ndjson, post, terminal, userText } from "./helpers";

const AZURE_KEY = "test-azure-key-7f3a9c";

/** Streams one chat with `env`; returns its events and the one request the fake got for it. */
async function chatThrough(env: Partial<Env>, marker = "[[fake:chunks n=5]]") {
  const nonce = newNonce("upstream");
  const events = await ndjson(await post(userText(`${marker} ${nonce}`), { env }));
  // The fake's record once it has written its whole answer. Not a matter of speed: in two full runs on
  // a loaded 2-core machine the fake (in vitest's main process) marked it more than 3 s after the chat ended.
  const [record] = await waitForFake(fakeUrl(), nonce, (r) => r.length === 1 && r[0].finished, 15_000);
  return { events, record, body: JSON.parse(record.body) as { model?: string; stream?: boolean } };
}

function expectKeyAsApiKey(record: RecordedRequest) {
  expect(record.headers["api-key"]).toBe(AZURE_KEY);
  expect(record.headers.authorization).toBeUndefined();
}

function expectStreamedAnswer(events: Awaited<ReturnType<typeof chatThrough>>["events"]) {
  expect(terminal(events)).toMatchObject({ type: "done", code: 200, data: { answer: "w0 w1 w2 w3 w4 " } });
  expect(events.filter((e) => e.type === "delta")).toHaveLength(5);
  expect(deltas(events)).toBe("w0 w1 w2 w3 w4 ");
}

describe("upstream options", () => {
  it("classic Azure: /openai/deployments/{deployment}/chat/completions?api-version=…", async () => {
    const { events, record, body } = await chatThrough({ AZURE_OPENAI_DEPLOYMENT_NAME: "my-gpt41" });
    expect(record).toMatchObject({ api: "deployments", method: "POST", path: "/openai/deployments/my-gpt41/chat/completions", query: { "api-version": "2024-10-21" } });
    expectKeyAsApiKey(record);
    expect(body).toMatchObject({ model: "my-gpt41", stream: true });
    expectStreamedAnswer(events);
  });

  it("AZURE_OPENAI_API_VERSION=v1: Azure's v1 API, the deployment as model, no api-version", async () => {
    const { events, record, body } = await chatThrough({ AZURE_OPENAI_API_VERSION: "v1", AZURE_OPENAI_DEPLOYMENT_NAME: "my-gpt41" });
    expect(record).toMatchObject({ api: "v1", method: "POST", path: "/openai/v1/chat/completions", query: {} });
    expect(record.query).not.toHaveProperty("api-version");
    expectKeyAsApiKey(record);
    expect(body).toMatchObject({ model: "my-gpt41", stream: true });
    expectStreamedAnswer(events);
  });

  it("v1 with an endpoint without its trailing slash, and Azure's errors still named by setting", async () => {
    const env = { AZURE_OPENAI_API_VERSION: "V1", AZURE_OPENAI_ENDPOINT: fakeUrl().replace(/\/$/, "") };
    const { record } = await chatThrough(env, "[[fake:echo]]");
    expect(record.path).toBe("/openai/v1/chat/completions");
    const { events } = await chatThrough(env, "[[fake:auth]]");
    expect(terminal(events)).toMatchObject({ type: "error", code: 502, message: expect.stringContaining("check AZURE_OPENAI_API_KEY") });
  });

  it("a Cloudflare AI Gateway endpoint (…/azure-openai/{resource}): {endpoint}/{deployment}/chat/completions?api-version=…, api-key", async () => {
    for (const endpoint of [`${fakeUrl()}v1/acct/gw/azure-openai/myres`, `${fakeUrl()}v1/acct/gw/azure-openai/myres/`]) {
      const { events, record, body } = await chatThrough({ AZURE_OPENAI_ENDPOINT: endpoint, AZURE_OPENAI_DEPLOYMENT_NAME: "my-gpt41", AZURE_OPENAI_API_VERSION: "2024-10-21" });
      expect(record).toMatchObject({ api: "ai-gateway", method: "POST", path: "/v1/acct/gw/azure-openai/myres/my-gpt41/chat/completions", query: { "api-version": "2024-10-21" } });
      expectKeyAsApiKey(record);
      expect(body.model).toBe("my-gpt41");
      expectStreamedAnswer(events);
    }
  });

  it("a gateway endpoint with AZURE_OPENAI_API_VERSION=v1: a 503 naming both settings, nothing sent upstream", async () => {
    const nonce = newNonce("gwv1");
    const res = await post(userText(`hi ${nonce}`), { env: { AZURE_OPENAI_ENDPOINT: `${fakeUrl()}v1/acct/gw/azure-openai/myres`, AZURE_OPENAI_API_VERSION: "v1" } });
    await envelopeOf(res, 503, /AZURE_OPENAI_API_VERSION=v1 .*AZURE_OPENAI_ENDPOINT/);
    expect(await waitForFake(fakeUrl(), nonce, () => true)).toEqual([]);
  });

  it("recognises a gateway by its path only", () => {
    expect(azureApi("https://gateway.ai.cloudflare.com/v1/0123abcd/my-gateway/azure-openai/my-resource", "2024-10-21")).toEqual({ api: "ai-gateway" });
    expect(azureApi("http://127.0.0.1:8787/v1/acct/gw/azure-openai/myres/", "2024-10-21")).toEqual({ api: "ai-gateway" });
    expect(azureApi("https://my-resource.openai.azure.com/", "2024-10-21")).toEqual({ api: "deployments" });
    expect(azureApi("https://my-resource.openai.azure.com/", "v1")).toEqual({ api: "v1" });
    expect(azureApi("https://azure-openai.example.com/", "2024-10-21")).toEqual({ api: "deployments" });
    expect(azureApi("https://proxy.example.com/azure-openai/res/extra", "2024-10-21")).toEqual({ api: "deployments" });
  });
});
