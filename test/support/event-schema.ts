/**
 * Validates what the tests see against the published JSON Schema (schema/chatapi.schema.json),
 * with @cfworker/json-schema: runs in workerd (test/worker/helpers.ts validates every NDJSON event
 * the suite parses) and in Node (client, browser and CLI tests).
 */
import { Validator, type Schema } from "@cfworker/json-schema";
import document from "../../schema/chatapi.schema.json";

export type SchemaDef = "ChatEvent" | "Envelope" | "ChatRequest" | "Conversation" | "ChatListPage";

const validators = new Map<SchemaDef, Validator>();

function validator(def: SchemaDef): Validator {
  let v = validators.get(def);
  if (!v) {
    const { anyOf: _any, ...rest } = document as Record<string, unknown>;
    v = new Validator({ ...rest, $ref: `#/$defs/${def}` } as Schema, "2020-12", false);
    validators.set(def, v);
  }
  return v;
}

/** The schema's complaints about `value` as a `def` (empty when valid). */
export function schemaErrors(def: SchemaDef, value: unknown): string[] {
  const result = validator(def).validate(value);
  return result.valid ? [] : result.errors.map((e) => `${e.instanceLocation} ${e.keyword}: ${e.error}`);
}

/** Throws unless `value` is a valid `def` per the published schema. */
export function assertValid(def: SchemaDef, value: unknown): void {
  const errors = schemaErrors(def, value);
  if (errors.length) {
    throw new Error(`not a valid ${def} per schema/chatapi.schema.json:\n${JSON.stringify(value).slice(0, 500)}\n${errors.slice(0, 8).join("\n")}`);
  }
}
