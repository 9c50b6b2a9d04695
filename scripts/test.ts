/**
 * `npm test`: the type checks and every vitest project at once. vitest runs in the foreground (its
 * output as it comes, arguments passed on: `npm test -- test/node/cli.test.ts`); the three type
 * checks run beside it at a lower CPU priority (tools/build/type-checks.ts) and report when vitest is done.
 * It fails if either does.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describeTypeChecks, runTypeChecks } from "../tools/build/type-checks";

const VITEST = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));

const types = runTypeChecks({ niceness: 10 });
const vitest = spawn(process.execPath, [VITEST, "run", ...process.argv.slice(2)], { stdio: "inherit" });
const vitestCode = await new Promise<number>((resolve) => {
  vitest.once("error", () => resolve(1));
  vitest.once("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});
const results = await types;
console.log(`\nType checks:\n${describeTypeChecks(results)}`);
process.exitCode = vitestCode !== 0 ? vitestCode : results.every((r) => r.ok) ? 0 : 1;
