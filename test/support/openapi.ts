/**
 * Reads the OpenAPI document (public/openapi.json) the way a client generated from it would, to
 * check real answers against it: the status is one the operation documents, the content type one
 * listed for that status, the documented headers are there, and the body (a JSON value, each NDJSON
 * line, each SSE event's data) is valid per the schema given there (@cfworker/json-schema, so this
 * runs in workerd and in Node alike).
 */
import { Validator, type Schema } from "@cfworker/json-schema";
import { createParser } from "eventsource-parser";
import document from "../../public/openapi.json";

type Json = Record<string, any>;

export const openapi = document as Json;

const validators = new Map<string, Validator>();

/** A validator for a schema of the document (inline or a `$ref`), resolving refs within it. */
export function validatorFor(schema: Json): Validator {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    v = new Validator({ ...schema, components: openapi.components } as Schema, "2020-12", false);
    validators.set(key, v);
  }
  return v;
}

/** The schema's complaints about `value` (empty when valid). */
export function docErrors(schema: Json, value: unknown): string[] {
  const result = validatorFor(schema).validate(value);
  return result.valid ? [] : result.errors.map((e) => `${e.instanceLocation} ${e.keyword}: ${e.error}`);
}

/** Resolves a local `$ref` (`#/components/…`) once. */
export function resolve<T extends Json>(node: T | { $ref: string }): T {
  if (!("$ref" in node)) return node as T;
  return (node.$ref as string).slice(2).split("/").reduce((at: Json, part) => at[part], openapi) as T;
}

/** The operation documented for `method` and the path template (`/api/chat/{chat_id}/stream`). */
export function operationOf(method: string, template: string): Json {
  const op = openapi.paths[template]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${template} is not in public/openapi.json`);
  return op;
}

/** The parsed body items of a documented response. */
function bodyItems(mediaType: string, text: string): unknown[] {
  if (mediaType === "application/x-ndjson") {
    // Blank lines and the disconnect probe's spaces are insignificant white space between lines.
    return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
  }
  if (mediaType === "text/event-stream") {
    const data: unknown[] = [];
    const parser = createParser({ onEvent: (e) => data.push(JSON.parse(e.data)) });
    parser.feed(text);
    return data;
  }
  return [JSON.parse(text)];
}

export interface Checked {
  status: number;
  mediaType: string | null;
  /** The body's items: the JSON value, or each NDJSON line / SSE event's data, parsed. */
  items: any[];
}

/**
 * Reads `response` to its end and throws unless it is one `method template` documents. Returns
 * what it read, for the caller's own checks.
 */
export async function checkResponse(method: string, template: string, response: Response): Promise<Checked> {
  const op = operationOf(method, template);
  const where = `${method} ${template} → ${response.status}`;
  const documented = op.responses[String(response.status)];
  if (!documented) throw new Error(`${where}: status not documented (documented: ${Object.keys(op.responses).join(", ")})`);
  const spec = resolve<Json>(documented);
  for (const name of Object.keys(spec.headers ?? {})) {
    if (!response.headers.has(name)) throw new Error(`${where}: documented header ${name} missing`);
  }
  const text = await response.text();
  if (!spec.content) {
    if (text !== "") throw new Error(`${where}: documented without a body, but has one: ${text.slice(0, 200)}`);
    return { status: response.status, mediaType: null, items: [] };
  }
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const media = spec.content[mediaType];
  if (!media) throw new Error(`${where}: content type ${mediaType} not documented (documented: ${Object.keys(spec.content).join(", ")})`);
  const items = bodyItems(mediaType, text);
  for (const item of items) {
    const errors = docErrors(media.schema, item);
    if (errors.length) throw new Error(`${where} ${mediaType}: not valid per the document:\n${JSON.stringify(item).slice(0, 400)}\n${errors.slice(0, 6).join("\n")}`);
  }
  return { status: response.status, mediaType, items };
}
