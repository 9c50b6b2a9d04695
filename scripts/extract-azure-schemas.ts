/**
 * Regenerates tools/fakes/fixtures/azure-openai-2024-10-21.schemas.json from Microsoft's published
 * OpenAPI file (Azure/azure-rest-api-specs, MIT licence; see tools/fakes/fixtures/README.md):
 *
 *   npx tsx scripts/extract-azure-schemas.ts path/to/inference.json
 *
 * Keeps the schemas the tests validate against (AZURE_TEST_SCHEMAS) and what they reference.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { AZURE_FIXTURE_PATH, AZURE_SOURCE, AZURE_TEST_SCHEMAS, extractSchemas } from "../tools/fakes/azure-openapi";

const input = process.argv[2];
if (!input) {
  console.error("usage: npx tsx scripts/extract-azure-schemas.ts path/to/inference.json");
  process.exit(2);
}
const document = JSON.parse(readFileSync(input, "utf8"));
if (document.info?.version !== AZURE_SOURCE.version) throw new Error(`expected API version ${AZURE_SOURCE.version}, the file says ${document.info?.version}`);
const schemas = extractSchemas(document, [...AZURE_TEST_SCHEMAS]);
writeFileSync(AZURE_FIXTURE_PATH, JSON.stringify({ source: AZURE_SOURCE, components: { schemas } }, null, 2) + "\n");
console.log(`wrote ${AZURE_FIXTURE_PATH}: ${Object.keys(schemas).length} schemas`);
