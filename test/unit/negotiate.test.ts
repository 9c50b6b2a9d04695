import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { detectLanguage } from "../../src/request/language";
import { pickFormat } from "../../src/request/negotiate";

describe("pickFormat", () => {
  it.each([
    [undefined, "ndjson"],
    ["", "ndjson"],
    ["*/*", "ndjson"],
    ["application/x-ndjson", "ndjson"],
    ["text/event-stream", "sse"],
    ["application/json", "json"],
    ["application/*", "ndjson"],
    ["text/*", "sse"],
    ["application/json, text/event-stream;q=0.9", "json"],
    ["application/json;q=0.5, text/event-stream;q=0.9", "sse"],
    ["text/event-stream;q=0.5, */*;q=0.5", "ndjson"],
    ["application/json, application/x-ndjson", "ndjson"],
    ["*/*;q=0.1, application/json", "json"],
    ["application/x-ndjson;q=0, */*", "sse"],
    ["TEXT/EVENT-STREAM", "sse"],
  ])("Accept %j → %s", (accept, format) => {
    expect(pickFormat(accept)).toBe(format);
  });

  it("returns null when none of the formats is acceptable", () => {
    expect(pickFormat("text/html")).toBeNull();
    expect(pickFormat("application/json;q=0")).toBeNull();
  });
});

describe("detectLanguage", () => {
  const app = new Hono<{ Variables: { language: string } }>().use(detectLanguage).get("/", (c) => c.text(c.var.language));
  it.each([
    [undefined, "zh"],
    ["zh-CN,zh;q=0.9", "zh"],
    ["en-US,en;q=0.9", "en"],
    ["en", "en"],
    ["zh-CN;q=0.8, en;q=0.9", "en"],
    ["en;q=0.5, zh;q=0.9", "zh"],
    ["en, zh", "en"],
    ["zh, en", "zh"],
    ["fr-FR, de", "zh"],
    ["fr, en;q=0.3", "en"],
    ["en;q=0", "zh"],
  ])("Accept-Language %j → %s", async (header, lang) => {
    const res = await app.request("/", { headers: header === undefined ? {} : { "Accept-Language": header } });
    expect(await res.text()).toBe(lang);
  });
});
