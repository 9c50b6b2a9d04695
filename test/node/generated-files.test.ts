/**
 * Committed generated files are up to date: schema/chatapi.schema.json (`npm run schema`) and
 * public/client.js, the browser build of the typed client (`tsx scripts/build-client.ts`).
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CLIENT_BUNDLE, clientBundleText } from "../../scripts/client-bundle";
import { schemaText } from "../../scripts/schema-doc";

describe("generated files", () => {
  it("schema/chatapi.schema.json is byte for byte a fresh generation (run `npm run schema`)", () => {
    expect(readFileSync(new URL("../../schema/chatapi.schema.json", import.meta.url), "utf8")).toBe(schemaText());
  });

  it("public/client.js is a fresh build of src/client (run `tsx scripts/build-client.ts`)", async () => {
    expect(readFileSync(CLIENT_BUNDLE, "utf8")).toBe(await clientBundleText());
  });

  it("the browser client carries no zod and works as an ES module on its own", async () => {
    const text = readFileSync(CLIENT_BUNDLE, "utf8");
    expect(text).not.toMatch(/zod|import\s|require\(/);
    expect(text.length).toBeLessThan(20_000);
    const client = await import(pathToFileURL(CLIENT_BUNDLE).href);
    expect(Object.keys(client).sort()).toEqual(
      ["ChatApiError", "IMAGE_TYPES", "MAX_IMAGES", "MAX_IMAGE_BYTES", "chat", "health", "imageProblem", "readLines", "readNdjson", "readSse", "sniffImageType", "streamChat", "toDataUrl"],
    );
  });
});
