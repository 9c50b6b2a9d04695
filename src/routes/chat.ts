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
import { requireKey } from "../security/auth";
import { limitBody } from "../security/body-limit";
import { hashId } from "../security/digest";
import { checkLimits } from "../security/limits";
import { limitPerKey, limitPerUser } from "../security/rate-limit";
import type { AppEnv } from "../app-env";

export const chat = new Hono<AppEnv>();

// Key (401/503), rate limit per key (429), JSON only (415), body limit (413) before parsing, schema (400).
chat.post("/", requireKey, limitPerKey, requireJson, limitBody, validateChatRequest, async (c) => {
  const config = readConfig(c.env);
  const request = c.req.valid("json");
  checkLimits(request, config.limits);
  const userHash = (c.var.log.user = await hashId(request.user_id));
  let format = pickFormat(c.req.header("accept"));
  if (!format) throw new ApiError(406, "Accept must allow application/x-ndjson, text/event-stream or application/json");
  if (request.stream === false) format = "json";
  c.var.log.format = format;
  const imageCount = checkImages(request);
  if (!config.azure.endpoint) {
    throw new ApiError(503, "Azure OpenAI is not configured: set AZURE_OPENAI_ENDPOINT (and the secret AZURE_OPENAI_API_KEY), or run `npm start`, which starts a local demo upstream");
  }
  if (!config.azure.apiKey) throw new ApiError(503, "Azure OpenAI is not configured: set the secret AZURE_OPENAI_API_KEY");

  await limitPerUser(c, userHash);

  const requestId = c.get("requestId");
  const client = azureClient(config.azure, config.upstreamTimeoutMs);
  const { mcp } = config;
  const tools = mcp.url ? createMcpToolSource({ ...mcp, authToken: mcp.authToken || undefined }) : undefined;
  return respond({
    format,
    requestId,
    start: (hooks) => {
      const run = runChat({
        config,
        client,
        request,
        imageCount,
        lang: pickLang(c.req.header("accept-language")),
        requestId,
        tools,
        ...hooks,
      });
      // The MCP session is closed in the background: no response waits for its DELETE.
      if (tools?.close) c.executionCtx.waitUntil(run.catch(() => {}).then(() => tools.close!()).catch(() => {}));
      return run;
    },
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
    onFinish: c.var.log.track(),
    clientSignal: c.req.raw.signal,
  });
});
