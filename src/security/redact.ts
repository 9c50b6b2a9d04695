/**
 * The one redaction step for text that comes from upstream: Azure's error messages
 * (src/chat/upstream-errors.ts) and MCP tool results, tool errors and listing errors (src/mcp). An
 * upstream may repeat a secret it was sent (Azure echoing the `api-key` in a 400, an MCP tool
 * repeating its bearer token); every configured secret — AZURE_OPENAI_API_KEY, MCP_AUTH_TOKEN, each
 * of API_KEYS — becomes `[redacted]` before the text reaches a client, a log line or the model.
 *
 * Built once per config (`readConfig(env).redact`). Cheap when nothing matches: one `includes` per
 * secret form and no copy. Secrets shorter than 8 characters are ignored: replacing them would
 * mangle ordinary text (and no real key is that short).
 */

export const REDACTED = "[redacted]";
export const MIN_SECRET_CHARS = 8;

export class Redactor {
  /** Each secret as is, URL-encoded and base64 (when those differ), longest first. */
  readonly #needles: readonly string[];

  constructor(secrets: Iterable<string | undefined>) {
    const needles = new Set<string>();
    for (const raw of secrets) {
      const secret = raw?.trim();
      if (!secret || secret.length < MIN_SECRET_CHARS) continue;
      needles.add(secret);
      needles.add(encodeURIComponent(secret));
      const base64 = toBase64(secret);
      if (base64) needles.add(base64);
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
  }

  /** True when there is nothing to redact (no secret configured). */
  get empty(): boolean {
    return this.#needles.length === 0;
  }

  redact(text: string): string {
    let out = text;
    for (const needle of this.#needles) {
      if (out.includes(needle)) out = out.replaceAll(needle, REDACTED);
    }
    return out;
  }
}

/** A redactor that knows no secrets. */
export const NO_SECRETS = new Redactor([]);

function toBase64(text: string): string | undefined {
  try {
    return btoa(text).replace(/=+$/, "");
  } catch {
    return undefined; // not Latin-1: no plain base64 form
  }
}
