/** The step language from `Accept-Language` with Hono's languageDetector: Chinese unless English is preferred. */
import { languageDetector } from "hono/language";

export const detectLanguage = languageDetector({ order: ["header"], supportedLanguages: ["zh", "en"], fallbackLanguage: "zh", caches: false });
