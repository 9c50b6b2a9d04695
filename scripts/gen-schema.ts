/**
 * `npm run schema`: writes schema/chatapi.schema.json (served at GET /api/schema) from the zod
 * schemas. `npm run schema -- --check` exits 1 when the committed file is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { schemaText } from "../tools/schema-doc";

const file = fileURLToPath(new URL("../schema/chatapi.schema.json", import.meta.url));
const text = schemaText();

if (process.argv.includes("--check")) {
  const current = readFileSync(file, "utf8");
  if (current !== text) {
    console.error("schema/chatapi.schema.json is out of date: run `npm run schema`.");
    process.exit(1);
  }
  console.log("schema/chatapi.schema.json is up to date.");
} else {
  writeFileSync(file, text);
  console.log(`wrote ${file} (${text.length} bytes)`);
}
