/**
 * The order in which the run hands test files to its workers (vitest.config.ts `sequence.sequencer`).
 * vitest's own order runs the projects one after another by name (node, tools, then worker) and,
 * on a fresh clone with no timings cached, the files of a project largest first. Here the files
 * that take longest, mostly waiting (Chromium pages on paced streams, CLI processes, `npm start`
 * booting), start first, and the workerd project's files (short, busy with CPU) come right after
 * the first two, so they fill a worker while those wait instead of running alone at the end. The
 * rest keep vitest's order. A file missing from SLOW_FIRST only loses its place.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The longest files of the node project, longest first (measured on the 2-core development machine). */
const SLOW_FIRST = [
  "test/node/browser.test.ts",
  "test/node/cli.test.ts",
  "test/node/browser-newcomer.test.ts",
  "test/node/start.test.ts",
  "test/node/approvals.test.ts",
  "test/node/ai-sdk-react.test.ts",
];
/** How many of SLOW_FIRST start before the workerd project's files. */
const BEFORE_WORKERD = 2;

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => SLOW_FIRST.findIndex((path) => spec.moduleId.endsWith(`/${path}`));
    const slow = sorted.filter((spec) => rank(spec) >= 0).sort((a, b) => rank(a) - rank(b));
    const workerd = sorted.filter((spec) => rank(spec) < 0 && spec.project.name === "worker");
    const rest = sorted.filter((spec) => rank(spec) < 0 && spec.project.name !== "worker");
    return [...slow.slice(0, BEFORE_WORKERD), ...workerd, ...slow.slice(BEFORE_WORKERD), ...rest];
  }
}
