/** `npm run check:types`: every tsconfig's type check, side by side (tools/build/type-checks.ts). */
import { describeTypeChecks, runTypeChecks } from "../tools/build/type-checks";

const results = await runTypeChecks();
console.log(describeTypeChecks(results));
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
