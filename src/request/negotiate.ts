/**
 * Content negotiation for the chat endpoints: the response format from `Accept`, with q-values;
 * among equals the first of FORMATS (NDJSON) wins. (The step language comes from Hono's
 * languageDetector, src/index.ts.)
 */
import { FORMAT_NAMES, FORMATS, type Format } from "../stream/formats";

export type { Format };

const offers = FORMAT_NAMES.map((format) => {
  const [type, subtype] = FORMATS[format].mediaType.split("/");
  return { format, type, subtype };
});
interface Range {
  type: string;
  subtype: string;
  q: number;
}

function parseList(header: string): { value: string; q: number; index: number }[] {
  return header
    .split(",")
    .map((item, index) => {
      const [value, ...params] = item.split(";").map((s) => s.trim().toLowerCase());
      let q = 1;
      for (const p of params) {
        if (p.startsWith("q=")) {
          const n = Number(p.slice(2));
          q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
        }
      }
      return { value: value ?? "", q, index };
    })
    .filter((r) => r.value !== "");
}

/** The format `Accept` asks for, or `null` when it accepts none of ours (406). */
export function pickFormat(accept: string | undefined | null): Format | null {
  if (!accept || !accept.trim()) return "ndjson";
  const ranges: Range[] = parseList(accept).map(({ value, q }) => {
    const [type = "", subtype = "*"] = value.split("/");
    return { type, subtype, q };
  });
  let best: Format | null = null;
  let bestQ = 0;
  for (const offer of offers) {
    // The most specific matching range decides the offer's quality.
    let specificity = -1;
    let q = 0;
    for (const r of ranges) {
      const s =
        r.type === offer.type && r.subtype === offer.subtype ? 2
        : r.type === offer.type && r.subtype === "*" ? 1
        : r.type === "*" && r.subtype === "*" ? 0
        : -1;
      if (s > specificity) {
        specificity = s;
        q = r.q;
      }
    }
    if (specificity >= 0 && q > bestQ) {
      best = offer.format;
      bestQ = q;
    }
  }
  return best;
}

