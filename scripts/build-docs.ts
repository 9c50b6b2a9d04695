/** `npm run build:docs` (also package.json's `prepare`): Swagger UI's files into public/docs/vendor (tools/docs-build.ts). */
import { buildDocs } from "../tools/docs-build";

for (const file of buildDocs()) console.log(`wrote ${file}`);
