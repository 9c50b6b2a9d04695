/**
 * Validates values against schemas of Azure's published OpenAPI description, from the subset kept
 * in the repository (tools/fakes/fixtures/azure-openai-2024-10-21.schemas.json; its source and MIT
 * licence are in tools/fakes/fixtures/README.md). OpenAPI 3.0's `nullable: true` is turned into JSON
 * Schema (`anyOf: [schema, {type: "null"}]`).
 */
import { Validator } from "@cfworker/json-schema";
import fixture from "../../tools/fakes/fixtures/azure-openai-2024-10-21.schemas.json";

function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== "nullable" && k !== "example" && !k.startsWith("x-")) out[k] = convert(v);
  return (node as { nullable?: boolean }).nullable ? { anyOf: [out, { type: "null" }] } : out;
}

const components = convert(fixture.components);
const cache = new Map<string, Validator>();

/** Returns the validation errors (empty when `value` matches `#/components/schemas/{name}`). */
export function schemaErrors(name: string, value: unknown): string[] {
  if (!(name in fixture.components.schemas)) throw new Error(`${name} is not in tools/fakes/fixtures/azure-openai-2024-10-21.schemas.json`);
  let v = cache.get(name);
  if (!v) {
    v = new Validator({ $ref: `#/components/schemas/${name}`, components } as never, "2019-09", false);
    cache.set(name, v);
  }
  const r = v.validate(value);
  return r.valid ? [] : r.errors.map((e) => `${e.instanceLocation}: ${e.error}`);
}
