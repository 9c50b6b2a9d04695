/** Writes public/client.js, the browser build of the typed client (see scripts/client-bundle.ts). */
import { writeFileSync } from "node:fs";
import { CLIENT_BUNDLE, clientBundleText } from "./client-bundle";

const text = await clientBundleText();
writeFileSync(CLIENT_BUNDLE, text);
console.log(`wrote ${CLIENT_BUNDLE} (${text.length} bytes)`);
