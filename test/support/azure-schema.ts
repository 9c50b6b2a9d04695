/**
 * Validates values against schemas of Azure's published OpenAPI file
 * (../shared/azure-openai/inference-2024-10-21.json beside the repository, reference data). OpenAPI 3.0's
 * `nullable: true` is turned into JSON Schema (`anyOf: [schema, {type: "null"}]`).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Validator } from "@cfworker/json-schema";

export const OPENAPI_PATH = fileURLToPath(new URL("../../../shared/azure-openai/inference-2024-10-21.json", import.meta.url));

function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== "nullable" && k !== "example" && !k.startsWith("x-")) out[k] = convert(v);
  return (node as { nullable?: boolean }).nullable ? { anyOf: [out, { type: "null" }] } : out;
}

let components: unknown;
const cache = new Map<string, Validator>();

/** Returns the validation errors (empty when `value` matches `#/components/schemas/{name}`). */
export function schemaErrors(name: string, value: unknown): string[] {
  components ??= convert((JSON.parse(readFileSync(OPENAPI_PATH, "utf8")) as { components: unknown }).components);
  let v = cache.get(name);
  if (!v) {
    v = new Validator({ $ref: `#/components/schemas/${name}`, components } as never, "2019-09", false);
    cache.set(name, v);
  }
  const r = v.validate(value);
  return r.valid ? [] : r.errors.map((e) => `${e.instanceLocation}: ${e.error}`);
}
