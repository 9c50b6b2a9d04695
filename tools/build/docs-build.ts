/**
 * The interactive API documentation at /docs: Swagger UI (swagger-ui-dist from npm) rendering
 * /openapi.json, served by the Worker's static assets (public/), so nothing is loaded from a CDN.
 *
 * public/docs.html (served at /docs) and public/docs/init.js are ours and committed; the viewer's prebuilt
 * files are copied from node_modules/swagger-ui-dist into public/docs/vendor/ (not committed) by
 * `npm run build:docs`, which package.json's `prepare` runs on every `npm install` / `npm ci`: a
 * fresh clone gets them offline, always of the installed version.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const DOCS_VENDOR = join(root, "public/docs/vendor");
/** The viewer (one self-contained UMD bundle and its stylesheet) and its licence files. */
export const VENDOR_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"] as const;

/** The installed swagger-ui-dist's folder and version. */
export function swaggerUiDist(): { dir: string; version: string } {
  const manifest = createRequire(import.meta.url).resolve("swagger-ui-dist/package.json");
  return { dir: dirname(manifest), version: (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version };
}

/** Copies the viewer into public/docs/vendor; returns the files written. */
export function buildDocs(): string[] {
  const { dir, version } = swaggerUiDist();
  mkdirSync(DOCS_VENDOR, { recursive: true });
  const written = VENDOR_FILES.map((name) => {
    copyFileSync(join(dir, name), join(DOCS_VENDOR, name));
    return `public/docs/vendor/${name}`;
  });
  writeFileSync(join(DOCS_VENDOR, "VERSION"), `swagger-ui-dist ${version}\n`);
  return [...written, "public/docs/vendor/VERSION"];
}
