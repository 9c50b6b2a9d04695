/**
 * `npm run screenshot`: docs/page.png, the chat page at 1280×900 with a chat that calls a tool and
 * answers in Markdown (tools/lab/page-screenshots.ts). `npm run screenshot -- --all DIR`: that chat at
 * a desktop's and a phone's size in both languages, as DIR/{desktop,phone}-{zh,en}.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { takePageScreenshots, type Shot } from "../tools/lab/page-screenshots";

const all = process.argv.indexOf("--all");
let shots: Shot[];
if (all >= 0) {
  const dir = process.argv[all + 1];
  if (!dir) {
    console.error("usage: npm run screenshot -- --all DIR");
    process.exit(2);
  }
  mkdirSync(dir, { recursive: true });
  shots = (["desktop", "phone"] as const).flatMap((size) => (["zh", "en"] as const).map((lang) => ({ path: join(dir, `${size}-${lang}.png`), size, lang })));
} else {
  shots = [{ path: "docs/page.png", size: "desktop", lang: "zh" }];
}
await takePageScreenshots(shots);
for (const shot of shots) console.log(`wrote ${shot.path}`);
