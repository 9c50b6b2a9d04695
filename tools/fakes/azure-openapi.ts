/**
 * The part of Azure's published OpenAPI description that the tests use:
 * `extractSchemas` keeps the named component schemas and every schema they `$ref`, transitively.
 * scripts/extract-azure-schemas.ts writes tools/fakes/fixtures/azure-openai-2024-10-21.schemas.json
 * with it (see tools/fakes/fixtures/README.md); test/support/azure-schema.ts validates against that file.
 */

type Schemas = Record<string, unknown>;
const PREFIX = "#/components/schemas/";

/** The schemas named, and everything they reference, in the document's order. */
export function extractSchemas(document: { components: { schemas: Schemas } }, names: string[]): Schemas {
  const all = document.components.schemas;
  const keep = new Set<string>();
  const visit = (name: string) => {
    if (keep.has(name)) return;
    if (!(name in all)) throw new Error(`no schema ${name} in the document`);
    keep.add(name);
    for (const ref of JSON.stringify(all[name]).matchAll(/"\$ref":"([^"]+)"/g)) {
      if (!ref[1].startsWith(PREFIX)) throw new Error(`${name}: unsupported $ref ${ref[1]}`);
      visit(ref[1].slice(PREFIX.length));
    }
  };
  names.forEach(visit);
  return Object.fromEntries(Object.entries(all).filter(([name]) => keep.has(name)));
}

/** Where the file comes from, written into the fixture beside the schemas. */
export const AZURE_SOURCE = {
  title: "Azure OpenAI Service API (data plane, inference)",
  version: "2024-10-21",
  repository: "Azure/azure-rest-api-specs",
  path: "specification/cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json",
  license: "MIT",
  note: "A subset: the component schemas the tests validate against and every schema they reference, unchanged.",
} as const;

/** The schemas the tests validate the fakes' output against. */
export const AZURE_TEST_SCHEMAS = [
  "createChatCompletionResponse",
  "createChatCompletionStreamResponse",
  "contentFilterPromptResults",
  "contentFilterChoiceResults",
  "errorResponse",
  "innerError",
] as const;

export const AZURE_FIXTURE_PATH = new URL("./fixtures/azure-openai-2024-10-21.schemas.json", import.meta.url).pathname;
