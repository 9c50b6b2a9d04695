/** `npm run build:client` (also package.json's `prepare`): public/client.js and client/dist (tools/build/client-build.ts). */
import { buildClient } from "../tools/build/client-build";

for (const file of await buildClient()) console.log(`wrote ${file}`);
