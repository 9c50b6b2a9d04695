/** `npm run build:docs` (also package.json's `prepare`): Swagger UI's files into public/docs/vendor (tools/build/docs-build.ts). */
import { buildDocs } from "../tools/build/docs-build";

for (const file of buildDocs()) console.log(`wrote ${file}`);
