/**
 * A tool result as the text the model reads (and the step shows): text parts joined, binary parts
 * described (never their bytes), structured content as JSON when there is no text, the whole cut to
 * a bound with a marker. With a redactor, configured secrets are replaced before the cut (so no part
 * of one survives it).
 */
import type { Redactor } from "../security/redact";

/** The parts of an MCP CallToolResult this module reads (kept structural: no SDK types needed). */
export interface ToolResultLike {
  content?: unknown;
  structuredContent?: unknown;
  toolResult?: unknown;
}

type Part = Record<string, unknown>;

const EMBEDDED_TEXT_MAX = 1000;

export function resultToText(result: ToolResultLike, maxChars: number, redactor?: Redactor): string {
  const parts = Array.isArray(result.content) ? (result.content as Part[]) : [];
  const texts = parts.map((part) => describePart(part, redactor)).filter((t) => t !== "");
  const hasText = parts.some((p) => p?.type === "text" && typeof p.text === "string" && p.text.trim() !== "");
  if (!hasText && result.structuredContent !== undefined) {
    texts.push(safeJson(result.structuredContent));
  } else if (texts.length === 0 && result.toolResult !== undefined) {
    // Servers on the 2024-10-07 protocol answer with `toolResult`.
    texts.push(typeof result.toolResult === "string" ? result.toolResult : safeJson(result.toolResult));
  }
  const text = texts.join("\n");
  return cutText(redactor ? redactor.redact(text) : text, maxChars);
}

function describePart(part: Part, redactor: Redactor | undefined): string {
  if (!part || typeof part !== "object") return "";
  switch (part.type) {
    case "text":
      return typeof part.text === "string" ? part.text : "";
    case "image":
    case "audio":
      return `[${part.type}: ${str(part.mimeType) || "unknown type"}, ${base64Size(part.data)} bytes]`;
    case "resource_link":
      return `[resource link: ${describeResource(part)}]`;
    case "resource": {
      const resource = (part.resource ?? {}) as Part;
      const head = `[resource: ${describeResource(resource)}`;
      if (typeof resource.text === "string") {
        return `${head}]\n${cutText(redactor ? redactor.redact(resource.text) : resource.text, EMBEDDED_TEXT_MAX)}`;
      }
      if (typeof resource.blob === "string") return `${head}, ${base64Size(resource.blob)} bytes]`;
      return `${head}]`;
    }
    default:
      return `[${str(part.type) || "unknown"} content]`;
  }
}

function describeResource(r: Part): string {
  const fields = [str(r.uri) || "(no uri)"];
  if (str(r.name)) fields.push(`name ${str(r.name)}`);
  if (str(r.mimeType)) fields.push(str(r.mimeType));
  if (str(r.description)) fields.push(str(r.description));
  return fields.join(", ");
}

/** Decoded size of a base64 string, without decoding it. */
export function base64Size(data: unknown): number {
  if (typeof data !== "string") return 0;
  const clean = data.replace(/[\s=]/g, "");
  return Math.floor((clean.length * 3) / 4);
}

/** `text` cut to at most `max` characters (marker included), saying how much was cut. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (omitted: number) => `\n…[cut: ${omitted} of ${text.length} characters omitted]`;
  // Sized for the most digits the count can have, so the result never exceeds `max`.
  let keep = max - marker(text.length).length;
  if (keep <= 0) return text.slice(0, Math.max(0, max));
  const code = text.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep--; // don't split a surrogate pair
  return text.slice(0, keep) + marker(text.length - keep);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "";
  } catch {
    return "[unserialisable structured content]";
  }
}
