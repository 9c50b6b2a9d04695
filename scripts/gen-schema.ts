/**
 * `npm run schema`: writes the documents generated from the zod schemas of src/schema:
 * schema/chatapi.schema.json (JSON Schema, served at GET /api/schema), public/openapi.json
 * (OpenAPI 3.1, a static asset at GET /openapi.json, rendered at /docs) and client/src/wire.ts (the
 * typed client's wire types, compiled from that JSON Schema).
 * `npm run schema -- --check` exits 1 when a committed file is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { clientWireTypesText } from "../tools/build/client-wire-types";
import { openApiText } from "../tools/build/openapi-doc";
import { schemaText } from "../tools/build/schema-doc";

const files: [string, () => string | Promise<string>][] = [
  ["schema/chatapi.schema.json", schemaText],
  ["public/openapi.json", openApiText],
  ["client/src/wire.ts", clientWireTypesText],
];

const check = process.argv.includes("--check");
let stale = 0;
for (const [name, text] of files) {
  const file = fileURLToPath(new URL(`../${name}`, import.meta.url));
  const fresh = await text();
  if (check) {
    let current = "";
    try {
      current = readFileSync(file, "utf8");
    } catch {}
    if (current !== fresh) {
      console.error(`${name} is out of date: run \`npm run schema\`.`);
      stale++;
    } else {
      console.log(`${name} is up to date.`);
    }
  } else {
    writeFileSync(file, fresh);
    console.log(`wrote ${name} (${fresh.length} bytes)`);
  }
}
if (stale) process.exit(1);
