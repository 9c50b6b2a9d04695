/** `POST /api/chat`: validate, negotiate, run the chat, respond in the format asked for. */
import { Hono } from "hono";
import { readConfig } from "../config";
import { ApiError } from "../errors";
import { azureClient } from "../chat/upstream";
import { createMcpToolSource } from "../mcp";
import { runChat } from "../chat/run";
import { checkImages } from "../request/images";
import { pickFormat, pickLang } from "../request/negotiate";
import { requireJson, validateChatRequest } from "../request/validate";
import { respond } from "../response/respond";
import type { AppEnv } from "../app-env";

export const chat = new Hono<AppEnv>();

chat.post("/", requireJson, validateChatRequest, async (c) => {
  const config = readConfig(c.env);
  const request = c.req.valid("json");
  let format = pickFormat(c.req.header("accept"));
  if (!format) throw new ApiError(406, "Accept must allow application/x-ndjson, text/event-stream or application/json");
  if (request.stream === false) format = "json";
  const imageCount = checkImages(request);
  if (!config.azure.endpoint) {
    throw new ApiError(503, "Azure OpenAI is not configured: set AZURE_OPENAI_ENDPOINT (and the secret AZURE_OPENAI_API_KEY), or run `npm start`, which starts a local demo upstream");
  }
  if (!config.azure.apiKey) throw new ApiError(503, "Azure OpenAI is not configured: set the secret AZURE_OPENAI_API_KEY");

  const requestId = c.get("requestId");
  const client = azureClient(config.azure, config.upstreamTimeoutMs);
  const { mcp } = config;
  const tools = mcp.url
    ? createMcpToolSource({
        url: mcp.url,
        authToken: mcp.authToken || undefined,
        allowlist: mcp.allowlist,
        callTimeoutMs: mcp.callTimeoutMs,
        listCacheTtlMs: mcp.listCacheTtlMs,
        maxResultChars: mcp.maxResultChars,
      })
    : undefined;
  return respond(
    format,
    requestId,
    (hooks) =>
      runChat({
        config,
        client,
        request,
        imageCount,
        lang: pickLang(c.req.header("accept-language")),
        requestId,
        tools,
        ...hooks,
      }).finally(() => tools?.close?.().catch(() => {})),
    (promise) => c.executionCtx.waitUntil(promise),
  );
});
