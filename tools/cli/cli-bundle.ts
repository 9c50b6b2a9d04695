/**
 * The CLI (scripts/chat.ts, what `npm run chat` runs under tsx) compiled once into one ES module
 * for plain `node`, for the tests that start it dozens of times (test/node/cli.test.ts, the approval
 * prompts in test/node/approvals.test.ts). The same esbuild transform tsx applies, done once per
 * run instead of once per start: tsx's loader (module hooks on a thread of their own, a transform
 * per file) cost about 0.65 s of CPU per start on the 2-core development machine, this bundle
 * about 0.2 s. test/node/cli.test.ts still runs `npm run chat` itself, so the script stays tested
 * as users run it. The bundle imports only Node's built-ins (a build that would import a package
 * fails), so it runs from a temp directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Builds the CLI into a fresh temp directory; returns the bundle's path (…/chat.mjs). */
export async function buildCliBundle(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "chatapi-cli-bundle-"));
  const outfile = join(dir, "chat.mjs");
  try {
    const result = await build({
      entryPoints: [join(ROOT, "scripts/chat.ts")],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      metafile: true,
      logLevel: "silent",
    });
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    const packages = imports.filter((path) => !path.startsWith("node:"));
    if (packages.length > 0) throw new Error(`the CLI bundle would import ${packages.join(", ")}: it runs outside the repository`);
    return outfile;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export function removeCliBundle(path: string): void {
  rmSync(dirname(path), { recursive: true, force: true });
}
