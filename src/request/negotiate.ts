/**
 * Content negotiation for /api/chat: the response format from `Accept` (with q-values; among
 * equals NDJSON wins) and the step language from `Accept-Language` (Chinese unless English is
 * preferred).
 */
import type { Lang } from "../steps/i18n";

export type Format = "ndjson" | "sse" | "json";

const offers: { format: Format; type: string; subtype: string }[] = [
  { format: "ndjson", type: "application", subtype: "x-ndjson" },
  { format: "sse", type: "text", subtype: "event-stream" },
  { format: "json", type: "application", subtype: "json" },
];

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

/** `en` when `Accept-Language` ranks English above Chinese, otherwise `zh`. */
export function pickLang(acceptLanguage: string | undefined | null): Lang {
  if (!acceptLanguage) return "zh";
  let best: { lang: Lang; q: number; index: number } | undefined;
  for (const { value, q, index } of parseList(acceptLanguage)) {
    const primary = value.split("-")[0];
    const lang: Lang | undefined = primary === "en" ? "en" : primary === "zh" ? "zh" : undefined;
    if (!lang || q <= 0) continue;
    if (!best || q > best.q || (q === best.q && index < best.index)) best = { lang, q, index };
  }
  return best?.lang ?? "zh";
}
