/** `npm run build:page` (also package.json's `prepare`): the chat page's script, public/app.js (tools/build/page-build.ts). */
import { buildPage } from "../tools/build/page-build";

for (const file of await buildPage()) console.log(`wrote ${file}`);
