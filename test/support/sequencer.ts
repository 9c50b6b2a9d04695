/**
 * The order in which the run hands test files to its workers (vitest.config.ts `sequence.sequencer`).
 * vitest's own order runs the projects one after another by name (node, tools, then worker) and,
 * on a fresh clone with no timings cached, the files of a project largest first: the workerd
 * project ran alone at the end, and the slowest node files (Chromium pages on paced streams, CLI
 * processes, `npm start` booting) started late. Here the workerd project's files (short, busy with
 * CPU) go first, then the slowest node files, longest first, then the rest in vitest's order. On a
 * fresh clone of the 2-core development machine: 224 s, against 288 s with the workerd files
 * started after the two slowest. A file missing from SLOW_FIRST only loses its place.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The longest files of the node project, longest first, as measured in a full run on the 2-core
 * development machine (seconds): start 57, browser 47, browser-newcomer 44, cli 43, approvals 31,
 * ai-sdk-react 26, docs-browser 20, ai-sdk 16, client 13, e2e-wrangler-dev 6; browser-page took 52 in a
 * run of the three page files side by side, not yet measured in a full run. The rest take a few
 * seconds each: they fill the end of the run, where long files would leave cores idle.
 */
const SLOW_FIRST = [
  "test/node/start.test.ts",
  "test/node/browser.test.ts",
  "test/node/browser-newcomer.test.ts",
  "test/node/browser-page.test.ts",
  "test/node/cli.test.ts",
  "test/node/approvals.test.ts",
  "test/node/ai-sdk-react.test.ts",
  "test/node/docs-browser.test.ts",
  "test/node/ai-sdk.test.ts",
  "test/node/client.test.ts",
  "test/node/e2e-wrangler-dev.test.ts",
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => SLOW_FIRST.findIndex((path) => spec.moduleId.endsWith(`/${path}`));
    const slow = sorted.filter((spec) => rank(spec) >= 0).sort((a, b) => rank(a) - rank(b));
    const workerd = sorted.filter((spec) => rank(spec) < 0 && spec.project.name === "worker");
    const rest = sorted.filter((spec) => rank(spec) < 0 && spec.project.name !== "worker");
    return [...workerd, ...slow, ...rest];
  }
}
