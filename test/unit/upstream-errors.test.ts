import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { describe, expect, it } from "vitest";
import { upstreamError } from "../../src/chat/upstream-errors";
import { ApiError } from "../../src/errors";

const headers = new Headers({ "retry-after-ms": "1500" });
/** An error as the SDK makes it from Azure's response. */
const sdk = (status: number, error: object = { message: "why" }) => APIError.generate(status, { error }, undefined, headers);

describe("upstreamError", () => {
  it.each([
    ["AuthenticationError", sdk(401), 502, /AZURE_OPENAI_API_KEY/],
    ["PermissionDeniedError", sdk(403), 502, /AZURE_OPENAI_API_KEY/],
    ["NotFoundError", sdk(404), 502, /AZURE_OPENAI_DEPLOYMENT_NAME/],
    ["RateLimitError", sdk(429), 429, /rate limiting/],
    ["BadRequestError", sdk(400, { message: "bad temperature" }), 400, /^Azure OpenAI rejected the request: bad temperature$/],
    ["UnprocessableEntityError", sdk(422, { message: "bad thing" }), 400, /^Azure OpenAI rejected the request: bad thing$/],
    ["content filter BadRequestError", sdk(400, { code: "content_filter", message: "filtered" }), 400, /prompt was filtered/],
    ["InternalServerError", sdk(503), 502, /HTTP 503/],
    ["APIConnectionTimeoutError", new APIConnectionTimeoutError(), 504, /UPSTREAM_TIMEOUT_MS/],
    ["APIConnectionError", new APIConnectionError({ message: "Connection error." }), 502, /Could not reach Azure OpenAI/],
  ])("maps %s by its class and keeps the SDK's error as the cause", (name, err, status, message) => {
    expect(err.constructor.name).toBe(name.replace(/^content filter /, ""));
    const mapped = upstreamError(err, 1000);
    expect(mapped).toBeInstanceOf(ApiError);
    expect(mapped.status).toBe(status);
    expect(mapped.message).toMatch(message);
    expect(mapped.cause).toBe(err);
  });

  it("keeps Retry-After on a rate limit", () => {
    expect(upstreamError(sdk(429), 1000).headers).toEqual({ "Retry-After": "2" });
  });
});

describe("ApiError", () => {
  it("takes an optional cause and stays compatible with (status, message, headers)", () => {
    const cause = new Error("root");
    const err = new ApiError(502, "upstream failed", { "Retry-After": "1" }, { cause });
    expect(err.cause).toBe(cause);
    expect(err.headers).toEqual({ "Retry-After": "1" });
    expect(new ApiError(400, "plain").headers).toEqual({});
    expect(new ApiError(400, "plain").cause).toBeUndefined();
  });
});
