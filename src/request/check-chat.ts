/**
 * The checks of `POST /api/chat` that need no upstream, after the key, rate limit, content type,
 * body size and schema middleware: text and message bounds, the response format (406), images,
 * the configuration (503), the operator's rules for system messages and options (400) and the
 * per-user rate limit. Each failure is thrown as a plain HTTP
 * error with the envelope; a request that passes them all gets a `200` stream at once (or, in
 * JSON, the envelope when the work is done).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { CheckedChat } from "../chat/start-chat";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { checkClientOptions, checkClientSystem } from "../chat/model-params";
import { userHash as hashUser } from "../security/digest";
import { checkLimits } from "../security/limits";
import { limitPerUser } from "../security/rate-limit";
import type { Lang } from "../steps/i18n";
import { FORMATS, type Format } from "../stream/formats";
import type { ChatRequest } from "../schema/request";
import { checkImages } from "./images";
import { pickFormat } from "./negotiate";

export interface Checked extends CheckedChat {
  config: Config;
  format: Format;
}

/** `format`: fixed by the endpoint (the UI dialect); otherwise negotiated from `Accept`. */
export async function checkChat(c: Context<AppEnv>, request: ChatRequest, fixedFormat?: Format): Promise<Checked> {
  const config = c.var.config;
  checkLimits(request, config.limits);
  if (request.history === "server" && !request.chat_id) throw new ApiError(400, 'history: "server" needs a chat_id: the conversation is kept under it');
  if (request.replace_from !== undefined && request.history !== "server") throw new ApiError(400, 'replace_from: needs history: "server"');
  const hashed = hashUser(request.user_id);
  const userHash = (c.var.log.user = typeof hashed === "string" ? hashed : await hashed);
  let format = fixedFormat ?? pickFormat(c.req.header("accept"));
  if (!format) {
    throw new ApiError(406, `Accept must allow ${Object.values(FORMATS).map((f) => f.mediaType).join(", ")}`);
  }
  if (request.stream === false && !fixedFormat) format = "json";
  c.var.log.format = format;
  const imageCount = checkImages(request);
  if (config.upstream.problem) throw new ApiError(503, config.upstream.problem);
  if (config.assistant.problem) throw new ApiError(503, `The assistant's settings are misconfigured: ${config.assistant.problem}`);
  checkClientSystem(request.query, config.assistant);
  checkClientOptions(request.options, config.assistant);
  if (config.mcp.serversError) throw new ApiError(503, `MCP is misconfigured: ${config.mcp.serversError}`);
  await limitPerUser(c, userHash);
  return { config, request, format, imageCount, lang: c.var.language as Lang, requestId: c.var.requestId };
}
