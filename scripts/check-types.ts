/** `npm run check:types`: every tsconfig's type check, side by side (tools/type-checks.ts). */
import { describeTypeChecks, runTypeChecks } from "../tools/type-checks";

const results = await runTypeChecks();
console.log(describeTypeChecks(results));
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
