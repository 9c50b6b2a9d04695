/**
 * Committed generated files are up to date: schema/chatapi.schema.json, public/openapi.json and
 * client/src/wire.ts (`npm run schema`). The client's builds (public/client.js, client/dist) are checked in
 * client-package.test.ts.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { clientWireTypesText } from "../../tools/build/client-wire-types";
import { openApiText } from "../../tools/build/openapi-doc";
import { schemaText } from "../../tools/build/schema-doc";

describe("generated files", () => {
  it("schema/chatapi.schema.json is byte for byte a fresh generation (run `npm run schema`)", () => {
    expect(readFileSync(new URL("../../schema/chatapi.schema.json", import.meta.url), "utf8")).toBe(schemaText());
  });

  it("public/openapi.json is byte for byte a fresh generation from the same zod schemas (run `npm run schema`)", () => {
    expect(readFileSync(new URL("../../public/openapi.json", import.meta.url), "utf8")).toBe(openApiText());
  });

  it("client/src/wire.ts is byte for byte the client's types compiled from that JSON Schema (run `npm run schema`)", async () => {
    expect(readFileSync(new URL("../../client/src/wire.ts", import.meta.url), "utf8")).toBe(await clientWireTypesText());
  });
});
