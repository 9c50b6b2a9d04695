/**
 * The OpenAPI document (public/openapi.json) is a fresh generation from the zod schemas (drift test
 * in generated-files.test.ts), valid OpenAPI 3.1 per @readme/openapi-parser (schema and spec rules,
 * every `$ref` resolvable), made of the same definitions as the JSON Schema at /api/schema, and its
 * examples are valid per its own schemas. That real answers match it: test/worker/openapi.test.ts.
 */
import { compileErrors, dereference, validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import jsonSchema from "../../schema/chatapi.schema.json";
import { docErrors, openapi, resolve } from "../support/openapi";

type Json = Record<string, any>;

describe("public/openapi.json", () => {
  it("is valid OpenAPI 3.1 (@readme/openapi-parser), every $ref resolvable", async () => {
    expect(openapi.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(openapi) as never);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
    await expect(dereference(structuredClone(openapi) as never)).resolves.toBeTruthy();
  });

  it("a broken document fails that validation (the check has teeth)", async () => {
    const broken = structuredClone(openapi);
    broken.paths["/health"].get.responses["200"].content["application/json"].itemSchema = {};
    delete broken.paths["/api/chat"].post.operationId;
    broken.paths["/api/chat/{chat_id}/stop"].post.operationId = "chat";
    expect((await validate(broken as never)).valid).toBe(false);
    const dangling = structuredClone(openapi);
    delete dangling.components.schemas.ChatId;
    await expect(dereference(dangling as never)).rejects.toThrow(/ChatId/);
  });

  it("holds the very definitions of the JSON Schema (/api/schema), with refs into components", () => {
    const defs = (jsonSchema as Json).$defs as Json;
    for (const [name, def] of Object.entries(defs)) {
      const asComponent = JSON.parse(JSON.stringify(def).replaceAll("#/$defs/", "#/components/schemas/"));
      // chat_id is a named schema (ChatId) in the document, inline in the JSON Schema.
      if (name === "ChatRequest") asComponent.properties.chat_id = { $ref: "#/components/schemas/ChatId" };
      expect(openapi.components.schemas[name], name).toEqual(asComponent);
    }
    expect(openapi.components.schemas.ChatId).toEqual({ ...(defs.ChatRequest as Json).properties.chat_id, description: expect.any(String) });
  });

  it("has examples that are valid per its own schemas (request bodies, streams line by line, envelopes)", () => {
    let checked = 0;
    const check = (schema: Json, value: unknown, where: string) => {
      expect(docErrors(schema, value), `${where}: ${JSON.stringify(value).slice(0, 200)}`).toEqual([]);
      checked++;
    };
    const media = (content: Json | undefined, where: string) => {
      for (const [type, m] of Object.entries(content ?? {}) as [string, Json][]) {
        if (m.example === undefined) continue;
        if (type === "application/x-ndjson") {
          for (const line of (m.example as string).trimEnd().split("\n")) check(m.schema, JSON.parse(line), `${where} ${type}`);
        } else if (type === "text/event-stream") {
          for (const data of (m.example as string).matchAll(/^data: (.*)$/gm)) check(m.schema, JSON.parse(data[1]), `${where} ${type}`);
        } else {
          check(m.schema, m.example, `${where} ${type}`);
        }
        for (const [name, e] of Object.entries(m.examples ?? {}) as [string, Json][]) check(m.schema, e.value, `${where} ${type} ${name}`);
      }
    };
    for (const [path, ops] of Object.entries(openapi.paths as Json)) {
      for (const [method, op] of Object.entries(ops as Json) as [string, Json][]) {
        media(op.requestBody?.content, `${method} ${path} body`);
        for (const [status, r] of Object.entries(op.responses as Json)) media(resolve(r as Json).content, `${method} ${path} ${status}`);
        for (const p of op.parameters ?? []) if (p.example !== undefined) check(p.schema, p.example, `${method} ${path} ${p.name}`);
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
